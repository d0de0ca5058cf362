"""The model facts registrars keep: colours, markets, and the registered models whose VIN facts the VIN check reads
(so their forms refuse a typo that would block every registration)."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from common.admin import swatch
from register.models import Colour, Market, RegisteredModel

VIN_CHARS = re.compile(r"^[A-HJ-NPR-Z0-9]+$")


class ColourAdminForm(forms.ModelForm):
    class Meta:
        model = Colour
        fields = ("name", "paint_code", "hex", "kind", "note", "sort_order")

    def clean_hex(self):
        return self.cleaned_data["hex"].strip().upper()


@admin.register(Colour)
class ColourAdmin(admin.ModelAdmin):
    form = ColourAdminForm
    list_display = ("name", "colour_swatch", "paint_code", "kind", "sort_order")
    list_filter = ("kind",)
    search_fields = ("name", "paint_code")
    list_editable = ("sort_order",)

    @admin.display(description=_("swatch"))
    def colour_swatch(self, obj):
        return swatch(obj.hex, obj.hex)


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ("country", "delivered", "approximate", "source")
    list_filter = ("approximate",)
    search_fields = ("country", "source")


class RegisteredModelAdminForm(forms.ModelForm):
    """The VIN check reads these facts, so a typo here would block every registration."""

    class Meta:
        model = RegisteredModel
        fields = (
            "name",
            "chassis",
            "wmi",
            "vds_prefix",
            "model_year_codes",
            "built_for_customers",
            "built_internal",
            "production_start",
            "production_end",
            "source",
            "plant_codes",
            "north_american_year_codes",
            "north_american_markets",
            "right_hand_markets",
            "position7_north_america",
            "position7_left_hand",
            "position7_right_hand",
            "vin_rules_source",
        )

    def _vin_codes(self, name: str) -> str:
        # Flag rules may be empty (that check is then off); otherwise VIN characters only.
        return self._vin_part(name) if self.cleaned_data[name].strip() else ""

    def clean_plant_codes(self):
        return self._vin_codes("plant_codes")

    def clean_north_american_year_codes(self):
        return self._vin_codes("north_american_year_codes")

    def clean_position7_north_america(self):
        return self._vin_codes("position7_north_america")

    def clean_position7_left_hand(self):
        return self._vin_codes("position7_left_hand")

    def clean_position7_right_hand(self):
        return self._vin_codes("position7_right_hand")

    def _markets(self, name: str) -> str:
        codes = self.cleaned_data[name].upper().replace(",", " ").split()
        unknown = [code for code in codes if countries.alpha2(code) != code]
        if unknown:
            raise forms.ValidationError(
                _("Unknown country codes: %(codes)s. Use two-letter ISO codes separated by spaces, e.g. GB AU ZA.")
                % {"codes": ", ".join(unknown)}
            )
        return " ".join(codes)

    def clean_north_american_markets(self):
        return self._markets("north_american_markets")

    def clean_right_hand_markets(self):
        return self._markets("right_hand_markets")

    def _vin_part(self, name: str, length: int | None = None):
        value = self.cleaned_data[name].strip().upper()
        if not VIN_CHARS.match(value) or (length and len(value) != length):
            raise forms.ValidationError(
                _("Use only VIN characters (digits and capital letters except I, O, Q)%(length)s.")
                % {"length": gettext("; exactly %(n)d of them") % {"n": length} if length else ""}
            )
        return value

    def clean_wmi(self):
        return self._vin_part("wmi", 3)

    def clean_vds_prefix(self):
        return self._vin_part("vds_prefix")

    def clean_model_year_codes(self):
        return self._vin_part("model_year_codes")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("production_start"), cleaned.get("production_end")
        if start and end and end < start:
            self.add_error("production_end", _("Production cannot end before it starts."))
        return cleaned


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    form = RegisteredModelAdminForm
    list_display = ("name", "chassis", "wmi", "vds_prefix", "model_year_codes", "built_total")
