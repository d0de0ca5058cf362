"""The register's claim pages, told what an approval does to entries.

The register knows nothing of events; approving a claim cancels the car's entries of sessions not yet over (its
driver is emailed, the waitlist moves up). So the events admin registers the register's ``ClaimAdmin`` again, with
the one answer it cannot give: which entries those are, shown on the page that asks before deciding.
"""

from __future__ import annotations

from django.contrib import admin

from events.models import Entry
from register.admin.claims import ClaimAdmin as RegisterClaimAdmin
from register.models import Claim

admin.site.unregister(Claim)


@admin.register(Claim)
class ClaimAdmin(RegisterClaimAdmin):
    def approval_cancels(self, claim: Claim) -> list[Entry]:
        return list(
            Entry.objects.active()
            .not_over()
            .filter(car=claim.car_id)
            .select_related("session__event", "driver")
            .order_by("session__starts_at", "pk")
        )
