"""Ownership claims in the admin: the evidence from private storage, and the decision pages (approve or reject,
from the list or the claim's page, asked first with what the decision will do) calling the claim services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import for_each_selected
from common.storage import private_file_response
from register.models import Claim
from register.services import RegisterError, claim_approve, claim_reject


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "car_vin",
        "claimant_email",
        "short_message",
        "status",
        "created",
        "decided_at",
        "decided_by",
    )
    list_filter = ("status",)
    list_select_related = ("car", "claimant", "decided_by")
    search_fields = ("car__vin", "claimant__email", "car__nickname")
    readonly_fields = (
        "car",
        "claimant",
        "former_claimant_id",
        "message",
        "evidence_image",
        "status",
        "created",
        "decided_at",
        "decided_by",
    )
    fields = readonly_fields
    change_form_template = "admin/register/claim/change_form.html"
    # Pending claims first, newest first within each group.
    ordering = (
        Case(When(status=Claim.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-created",
    )
    actions = ["approve", "reject"]

    @admin.display(description=_("VIN"), ordering="car__vin")
    def car_vin(self, obj):
        return obj.car.vin

    @admin.display(description=_("message"))
    def short_message(self, obj):
        return Truncator(obj.message).chars(80)

    @admin.display(description=_("claimant"), ordering="claimant__email")
    def claimant_email(self, obj):
        return obj.claimant.email if obj.claimant else obj.claimant_label

    @admin.display(description=_("registration document"))
    def evidence_image(self, obj):
        if not obj.evidence:
            return gettext("None (deleted once the claim was decided)") if obj.decided_at else "—"
        url = reverse("admin:register_claim_evidence", args=[obj.pk], current_app=self.admin_site.name)
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" style="max-width:480px;height:auto"></a>',
            url,
            url,
            gettext("Registration document sent with the claim"),
        )

    def get_urls(self):
        evidence = path(
            "<int:pk>/evidence/",
            self.admin_site.admin_view(self.evidence_view),
            name="register_claim_evidence",
        )
        decide = [
            path(
                f"<int:object_id>/{name}/",
                self.admin_site.admin_view(self.decide_view),
                {"approve": approve},
                name=f"register_claim_{name}",
            )
            for name, approve in (("approve", True), ("reject", False))
        ]
        return [evidence, *decide, *super().get_urls()]

    def evidence_view(self, request, pk: int):
        """The claim's evidence from private storage, for those who may see the claim; never cached."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(Claim, pk=pk)
        if not claim.evidence:
            raise Http404
        kind = "image/webp" if claim.evidence.name.endswith(".webp") else "image/jpeg"
        return private_file_response(claim.evidence, content_type=kind)

    def has_add_permission(self, request):
        return False

    def _decide(self, request, claims, *, approve: bool) -> None:
        """Approve or reject each claim through its service; the rule (and its refusals) lives there."""
        if approve:
            service = claim_approve
            done = ngettext_lazy("%(count)d claim approved.", "%(count)d claims approved.", "count")
        else:
            service = claim_reject
            done = ngettext_lazy("%(count)d claim rejected.", "%(count)d claims rejected.", "count")
        for_each_selected(
            self,
            request,
            claims,
            lambda claim: service(claim=claim, by=request.user),
            done=done,
            refused=RegisterError,
        )

    def approval_cancels(self, claim: Claim) -> list:
        """The entries approving ``claim`` cancels, for the confirmation page. The register keeps no entries:
        the events admin, which does, answers this (``events.admin.claims``)."""
        return []

    def _decide_confirm_page(self, request, claims, *, approve: bool, from_list: bool):
        """What deciding ``claims`` will do, read the way the services will act: the car's owner now, the
        entries of sessions not yet over that an approval cancels, the other pending claims it rejects."""
        pending = [claim for claim in claims if claim.status == Claim.Status.PENDING]
        for claim in pending:
            claim.upcoming_entries = self.approval_cancels(claim)
            claim.rival_claims = list(
                Claim.objects.pending().filter(car=claim.car_id).exclude(pk=claim.pk).select_related("claimant")
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Approve the claim?") if approve else gettext("Reject the claim?"),
            "claims": pending,
            "decided": [claim for claim in claims if claim.status != Claim.Status.PENDING],
            "approve": approve,
            "from_list": from_list,
            "action": "approve" if approve else "reject",
        }
        return TemplateResponse(request, "admin/register/claim/decide_confirm.html", context)

    def _decide_action(self, request, queryset, *, approve: bool):
        """A list action asks first (like Django's delete action), then decides each selected claim."""
        claims = list(queryset.select_related("car__owner", "claimant").order_by("pk"))
        if request.POST.get("confirmed") != "yes":
            return self._decide_confirm_page(request, claims, approve=approve, from_list=True)
        self._decide(request, claims, approve=approve)
        return None

    def decide_view(self, request, object_id: int, approve: bool):
        """The claim page's Approve / Reject: GET says what will happen, POST does it through the service."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(Claim.objects.select_related("car__owner", "claimant"), pk=object_id)
        change_url = reverse("admin:register_claim_change", args=[claim.pk], current_app=self.admin_site.name)
        if request.method == "POST":
            self._decide(request, [claim], approve=approve)
            return HttpResponseRedirect(change_url)
        if claim.status != Claim.Status.PENDING:
            self.message_user(request, gettext("This claim has already been decided."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        return self._decide_confirm_page(request, [claim], approve=approve, from_list=False)

    @admin.action(description=_("Approve selected claims (move the car to the claimant)"), permissions=["change"])
    def approve(self, request, queryset):
        return self._decide_action(request, queryset, approve=True)

    @admin.action(description=_("Reject selected claims"), permissions=["change"])
    def reject(self, request, queryset):
        return self._decide_action(request, queryset, approve=False)
