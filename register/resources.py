"""Import and export of the register (CSV, XLSX) for the registrars' admin.

The import adds new cars only: a VIN that is already registered, or that appears
twice in the file, is a row error, never a silent update of someone's car. Every
row is checked by the same ``vin_check`` as the owners' form. The admin runs the
import with ``rollback_on_validation_errors``: a file with any bad row writes
nothing, and the confirm step re-checks the file before writing.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries
from import_export import fields, resources, widgets
from import_export.forms import SelectableFieldsExportForm

from register.models import Car, Colour, Ownership, User
from register.services import car_verify, vin_check
from register.spreadsheet import FormulaSafeExport
from register.vin import normalise_vin

COLUMNS = (
    "vin",
    "colour",
    "colour_note",
    "market",
    "production_month",
    "nickname",
    "owner_email",
    "status",
    "register_number",
)

# What the admin's export form calls each column, in the registrar's language; the column's key (the CSV
# header, a contract that stays English) follows in brackets.
LABELS = {
    "vin": gettext_lazy("VIN"),
    "colour": gettext_lazy("colour"),
    "colour_note": gettext_lazy("colour note"),
    "market": gettext_lazy("market"),
    "production_month": gettext_lazy("production month"),
    "nickname": gettext_lazy("nickname"),
    "owner_email": gettext_lazy("owner's email"),
    "status": gettext_lazy("status"),
    "register_number": gettext_lazy("register number"),
}


class CarExportForm(SelectableFieldsExportForm):
    """django-import-export's export form, its field boxes labelled in the reader's language (its own
    labels are the field names in English title case)."""

    def _get_field_label(self, resource, field_name: str) -> str:
        column = resource.fields[field_name].column_name if field_name in resource.fields else field_name
        label = LABELS.get(column)
        return f"{capfirst(label)} ({column})" if label else super()._get_field_label(resource, field_name)

    @property
    def media(self):
        # "Select all" working under the Content-Security-Policy (static/js/admin-export.js).
        return super().media + forms.Media(js=["js/admin-export.js"])


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class VinWidget(widgets.CharWidget):
    """Normalises only; the rules are checked per row by ``vin_check`` with the row's market."""

    def clean(self, value, row=None, **kwargs):
        return normalise_vin(_text(value))


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return _text(value)


class FoundBy(widgets.ForeignKeyWidget):
    """django-import-export's ForeignKeyWidget, matching ``field`` whatever the case and explaining a miss.

    Exports ``field``. Not ``ForeignKeyWidget(Colour, "name__iexact")`` as such: that finds the row but
    exports nothing (its ``render`` follows ``iexact`` as an attribute); the case-insensitive lookup goes
    through the widget's documented hook, ``get_lookup_kwargs``, instead. ``unknown`` is the message
    for a value nothing matches, with the value under the field's name (``%(name)s``); ``required``, if
    given, the message for a blank cell (else a blank cell is None).
    """

    def __init__(self, model, field, *, unknown, required=None):
        super().__init__(model, field)
        self.unknown, self.required = unknown, required

    def get_lookup_kwargs(self, value, row, **kwargs):
        return {f"{self.field}__iexact": _text(value)}

    def clean(self, value, row=None, **kwargs):
        if not _text(value):
            if self.required:
                raise ValueError(str(self.required))
            return None
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.unknown % {self.field: _text(value)}) from None


class MarketWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        code = _text(value).upper()
        if not code:
            raise ValueError(_("Enter the market as a two-letter ISO country code, e.g. DE."))
        if len(code) != 2 or countries.alpha2(code) != code:
            raise ValueError(
                _("Unknown market “%(code)s”: use a two-letter ISO country code, e.g. DE or US.") % {"code": code}
            )
        return code

    def render(self, value, obj=None, **kwargs):
        return getattr(value, "code", value) or ""


class MonthWidget(widgets.DateWidget):
    """``YYYY-MM`` in and out; ``YYYY-MM-DD`` or a spreadsheet's date cell is read as its month."""

    def __init__(self):
        super().__init__(format="%Y-%m")  # the export format
        self.formats = ("%Y-%m", "%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            value = value.date()
        try:
            month = super().clean(value.strip() if isinstance(value, str) else value, row, **kwargs)
        except ValueError:
            raise ValueError(
                _("Write the production month as YYYY-MM, e.g. 2011-05; found “%(value)s”.") % {"value": _text(value)}
            ) from None
        return month.replace(day=1) if month else None


class StatusWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value).lower()
        if not text:
            return Car.Status.PENDING
        for status in Car.Status:
            if text in {status.value, str(status.label).lower()}:
                return status.value
        raise ValueError(
            _("Unknown status “%(value)s”: use %(choices)s.")
            % {"value": _text(value), "choices": ", ".join(Car.Status.values)}
        )


class RegisterNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = _text(value)
        if not text:
            return None
        if text.endswith(".0"):
            text = text[:-2]
        if not text.isdigit() or int(text) < 1:
            raise ValueError(_("A register number is a whole number from 1; found “%(value)s”.") % {"value": text})
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class CarResource(FormulaSafeExport, resources.ModelResource):
    vin = fields.Field(attribute="vin", column_name="vin", widget=VinWidget())
    colour = fields.Field(
        attribute="colour",
        column_name="colour",
        widget=FoundBy(
            Colour,
            "name",
            unknown=gettext_lazy(
                "Unknown colour “%(name)s”: use a colour listed in the admin, or “Other” with a colour note."
            ),
            required=gettext_lazy("Enter a colour name."),
        ),
    )
    colour_note = fields.Field(attribute="colour_note", column_name="colour_note", widget=TextWidget())
    market = fields.Field(attribute="market", column_name="market", widget=MarketWidget())
    production_month = fields.Field(attribute="production_month", column_name="production_month", widget=MonthWidget())
    nickname = fields.Field(attribute="nickname", column_name="nickname", widget=TextWidget())
    owner_email = fields.Field(
        attribute="owner",
        column_name="owner_email",
        widget=FoundBy(
            User,
            "email",
            unknown=gettext_lazy(
                "No account uses the email “%(email)s”; leave owner_email blank or ask the owner to create an account "
                "first."
            ),
        ),
    )
    status = fields.Field(attribute="status", column_name="status", widget=StatusWidget())
    register_number = fields.Field(
        attribute="register_number", column_name="register_number", widget=RegisterNumberWidget()
    )

    class Meta:
        model = Car
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("vin",)
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._rows_by_vin: dict[str, int] = {}
        self._verify_later: list[Car] = []
        self._created = 0

    def get_export_queryset(self):
        return Car.objects.select_related("colour", "owner")

    def before_import(self, dataset, **kwargs):
        self._rows_by_vin = {}
        self._verify_later = []
        self._created = 0

    def before_import_row(self, row, **kwargs):
        vin = normalise_vin(_text(row.get("vin")))
        if not vin:
            return
        first = self._rows_by_vin.setdefault(vin, kwargs.get("row_number", 0))
        if first != kwargs.get("row_number", 0):
            raise ValidationError({"vin": [_("This VIN is already in row %(row)d of this file.") % {"row": first}]})

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new:
            raise ValidationError(
                {
                    "vin": [
                        _("This VIN is already registered (%(car)s); the import only adds new cars.")
                        % {"car": instance}
                    ]
                }
            )

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)

        if "vin" not in errors:
            market = "" if "market" in errors else getattr(instance.market, "code", "")
            result = vin_check(instance.vin, market=market or None)
            if result.errors:
                errors["vin"] = [_("VIN rule: %(rule)s") % {"rule": message} for message in result.errors]
            instance.vin = result.vin
            instance.check_digit_flag = result.check_digit_flag
            instance.vin_flags = "\n".join(result.flags)

        if instance.status == Car.Status.VERIFIED:
            if instance.register_number is None:
                # Verified without a number: saved pending, then verified through car_verify
                # after the file's own numbers have moved the sequence past them.
                instance.status = Car.Status.PENDING
                instance._verify_after_import = True
                self._verify_later.append(instance)
            elif instance.verified_at is None:
                instance.verified_at = timezone.now()

        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = "imported"

    def after_save_instance(self, instance, row, **kwargs):
        self._created += 1
        if instance.owner_id:
            Ownership.objects.create(car=instance, owner=instance.owner, started=instance.created, note=_("Imported"))
        if getattr(instance, "_verify_after_import", False):
            # Shown as verified in the preview; the number is given on confirm.
            instance.status = Car.Status.VERIFIED

    def after_import(self, dataset, result, **kwargs):
        # Not the parent's: it resets the primary-key sequence, which could hand
        # out the ids of deleted cars (whose history rows still exist).
        if kwargs.get("dry_run", True) or result.has_errors() or result.has_validation_errors():
            return
        if not self._created:
            return
        with connection.cursor() as cursor:
            # Move the sequence past the file's numbers, never backwards. setval is not
            # transactional: a rolled-back import leaves a gap, never a number given twice.
            cursor.execute(
                "SELECT setval('register_car_register_number_seq', top.n) "
                "FROM (SELECT MAX(register_number) AS n FROM register_car) AS top, "
                "register_car_register_number_seq AS seq "
                "WHERE top.n > seq.last_value OR (top.n = seq.last_value AND NOT seq.is_called)"
            )
        user = kwargs.get("user")
        for car in self._verify_later:
            # The register as it was: its owners are not emailed for a number they may have had for years.
            car_verify(car=car, by=user, notify=False)
