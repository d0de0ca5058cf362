"""The cars in the admin: verifying (a page names VIN flags first), the VIN checked as on the owners' form, the
register's import and export, ownership periods; and the counters of who asked whether a VIN is registered."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import XLSX

from common.admin import HistoryAdmin, ReadOnlyTabularInline, for_each_selected, swatch
from common.query import positive_int
from register.admin.photos import CarPhotoInline
from register.models import Car, Ownership, VinCheckCounter
from register.resources import CarExportForm, CarResource
from register.services import RegisterError, car_unverify, car_verify, car_vin_flags_refresh, vin_check
from register.spreadsheet import SpreadsheetCSV


class CheckDigitFlagFilter(admin.SimpleListFilter):
    title = _("check-digit flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged")), ("no", _("Not flagged"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(check_digit_flag="")
        if self.value() == "no":
            return queryset.filter(check_digit_flag="")
        return queryset


class VinFlagsFilter(admin.SimpleListFilter):
    title = _("VIN flags")
    parameter_name = "vin_flags"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged")), ("no", _("Not flagged"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(vin_flags="")
        if self.value() == "no":
            return queryset.filter(vin_flags="")
        return queryset


class CarAdminForm(forms.ModelForm):
    # Longer than 17 so a VIN pasted with spaces or dashes reaches the normaliser.
    vin = forms.CharField(label=_("VIN"), max_length=40)

    class Meta:
        model = Car
        fields = ("vin", "colour", "colour_note", "market", "production_month", "nickname")

    def clean_vin(self):
        # The same check as the owners' form; the market decides whether a wrong
        # check digit is an error (North America) or only a flag.
        market = self.data.get(self.add_prefix("market")) or getattr(self.instance.market, "code", "")
        result = vin_check(self.cleaned_data["vin"], market=market or None)
        if not result.is_valid:
            raise forms.ValidationError(result.errors)
        self.instance.check_digit_flag = result.check_digit_flag
        self.instance.vin_flags = "\n".join(result.flags)
        return result.vin


class OwnershipInline(ReadOnlyTabularInline):
    model = Ownership
    fields = ("person", "started", "ended", "note")
    readonly_fields = fields
    verbose_name = _("ownership period")

    @admin.display(description=_("owner"))
    def person(self, obj):
        return obj.owner_label


@admin.register(Car)
class CarAdmin(ImportExportMixin, HistoryAdmin):
    form = CarAdminForm
    resource_classes = [CarResource]
    export_form_class = CarExportForm
    import_template_name = "admin/register/car/import.html"
    export_template_name = "admin/register/car/export.html"
    import_formats = [SpreadsheetCSV, XLSX]
    export_formats = [SpreadsheetCSV, XLSX]
    list_display = (
        "number",
        "vin_masked",
        "vin",
        "colour_swatch",
        "market",
        "owner_email",
        "status",
        "flagged",
        "vin_flagged",
    )
    list_display_links = ("number", "vin_masked")
    list_filter = ("status", "colour", ("market", CountryFilter), CheckDigitFlagFilter, VinFlagsFilter)
    list_select_related = ("colour", "owner")
    search_fields = ("vin", "nickname", "owner__email")
    readonly_fields = (
        "owner",
        "status",
        "register_number",
        "verified_at",
        "check_digit_note",
        "vin_flags",
        "created",
        "updated",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "vin",
                    "check_digit_note",
                    "vin_flags",
                    "colour",
                    "colour_note",
                    "market",
                    "production_month",
                )
            },
        ),
        (_("Owner"), {"fields": ("nickname", "owner")}),
        (_("Register"), {"fields": ("status", "register_number", "verified_at", "created", "updated")}),
    )
    inlines = [CarPhotoInline, OwnershipInline]
    actions = ["verify", "unverify", "recheck_vins"]
    ordering = ("register_number", "pk")

    @admin.display(description=_("register number"), ordering="register_number")
    def number(self, obj):
        return f"#{obj.register_number}" if obj.register_number else "—"

    @admin.display(description=_("masked VIN"))
    def vin_masked(self, obj):
        return obj.vin_masked

    @admin.display(description=_("colour"), ordering="colour__sort_order")
    def colour_swatch(self, obj):
        return swatch(obj.colour.hex, obj.colour_label)

    @admin.display(description=_("owner"), ordering="owner__email")
    def owner_email(self, obj):
        return obj.owner.email if obj.owner else "—"

    @admin.display(description=_("check-digit flag"), boolean=True)
    def flagged(self, obj):
        return bool(obj.check_digit_flag)

    @admin.display(description=_("check-digit flag"))
    def check_digit_note(self, obj):
        # Stored in English; shown in the registrar's language (Car.check_digit_note).
        return obj.check_digit_note() or "—"

    @admin.display(description=_("VIN flags"), boolean=True)
    def vin_flagged(self, obj):
        return bool(obj.vin_flags)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Write only what the form edits: status and number belong to car_verify and
        # may have changed since this car was loaded.
        obj._history_user = request.user
        obj.save(update_fields=[*CarAdminForm.Meta.fields, "check_digit_flag", "vin_flags", "updated"])

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = positive_int(search_term.strip().lstrip("#"))
        if number is not None:
            queryset |= self.model.objects.filter(register_number=number)
        return queryset, may_have_duplicates

    def has_import_permission(self, request):
        return request.user.has_perm("register.import_car")

    def has_export_permission(self, request):
        return request.user.has_perm("register.export_car")

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # A file with any bad row writes nothing, in the preview and on confirm.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Only reachable if the data changed between preview and confirm.
            rows = sorted({row.number for row in result.invalid_rows} | {line for line, _e in result.row_errors()})
            self.message_user(
                request,
                gettext("Nothing was imported: rows %(rows)s no longer pass the checks. Upload the file again.")
                % {"rows": ", ".join(str(r) for r in rows) or "—"},
                level=messages.ERROR,
            )
            url = reverse("admin:register_car_import", current_app=self.admin_site.name)
            return HttpResponseRedirect(url)
        return super().process_result(result, request)

    @admin.action(description=_("Verify selected cars"), permissions=["change"])
    def verify(self, request, queryset):
        """Verifies at once, unless a selected car carries VIN flags: then a page names them and asks first."""
        cars = list(queryset.exclude(status=Car.Status.VERIFIED).select_related("owner").order_by("created", "pk"))
        flagged = [car for car in cars if car.check_digit_flag or car.vin_flags]
        if flagged and request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Verify cars with VIN flags?"),
                "flagged": flagged,
                "unflagged": [car for car in cars if car not in flagged],
                "selected": [car.pk for car in cars],
            }
            return TemplateResponse(request, "admin/register/car/verify_confirm.html", context)
        for_each_selected(
            self,
            request,
            cars,
            lambda car: car_verify(car=car, by=request.user),
            done=ngettext_lazy("%(count)d car verified.", "%(count)d cars verified.", "count"),
            refused=RegisterError,
        )
        return None

    @admin.action(description=_("Check the VINs again against the model facts"), permissions=["change"])
    def recheck_vins(self, request, queryset):
        for_each_selected(
            self,
            request,
            queryset.order_by("pk"),
            lambda car: car_vin_flags_refresh(car=car),
            done=ngettext_lazy("%(count)d VIN checked again.", "%(count)d VINs checked again.", "count"),
            refused=RegisterError,
        )

    @admin.action(description=_("Unverify selected cars (back to pending)"), permissions=["change"])
    def unverify(self, request, queryset):
        for_each_selected(
            self,
            request,
            queryset.filter(status=Car.Status.VERIFIED),
            lambda car: car_unverify(car=car),
            done=ngettext_lazy("%(count)d car set back to pending.", "%(count)d cars set back to pending.", "count"),
            refused=RegisterError,
        )


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = ("car", "person", "started", "ended", "note")
    list_select_related = ("car", "owner")
    search_fields = ("car__vin", "owner__email")
    readonly_fields = ("car", "owner", "former_owner_id", "started", "ended", "note")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("owner"), ordering="owner__email")
    def person(self, obj):
        return obj.owner_label


@admin.register(VinCheckCounter)
class VinCheckCounterAdmin(admin.ModelAdmin):
    """Who asked how often whether a VIN is registered (add-car and claim forms); read-only."""

    list_display = ("kind", "key", "user_email", "checks", "refused", "refused_total", "window_start", "last_check")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("key", "user__email")
    readonly_fields = list_display

    @admin.display(description=_("account"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email if obj.user else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
