"""The organisers' export of entries (the admin action "Export the selected entries as CSV")."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from events.models import Entry
from register.spreadsheet import FormulaSafeExport


class EntryResource(FormulaSafeExport, resources.ModelResource):
    session = fields.Field(attribute="session", column_name=_("Session"))
    slot = fields.Field(attribute="slot", column_name=_("Slot"))
    register_number = fields.Field(attribute="car__register_number", column_name=_("Register number"))
    nickname = fields.Field(attribute="car__nickname", column_name=_("Nickname"))
    colour = fields.Field(attribute="car__colour_label", column_name=_("Colour"))
    market = fields.Field(attribute="car__market__code", column_name=_("Market"))
    driver = fields.Field(attribute="driver", column_name=_("Driver"))
    status = fields.Field(attribute="get_status_display", column_name=_("Status"))
    checked_in = fields.Field(column_name=_("Checked in"))

    class Meta:
        model = Entry
        fields = (
            "session",
            "slot",
            "register_number",
            "nickname",
            "colour",
            "market",
            "driver",
            "status",
            "checked_in",
        )

    def dehydrate_checked_in(self, entry: Entry) -> str:
        return gettext("yes") if entry.checked_in_at else gettext("no")
