"""Admin for registrars: verify cars, decide claims, keep the model facts, import the register.

State changes go through ``register.services`` (and ``register.photos``); the admin
only calls them. Registrars are staff in the "Registrars" group, not superusers.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.filters import CountryFilter
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import XLSX

from common.admin import HistoryAdmin, ReadOnlyTabularInline, for_each_selected, swatch
from events.models import Entry
from register.models import (
    Car,
    CarPhoto,
    Claim,
    Colour,
    Market,
    Ownership,
    RegisteredModel,
    User,
    VinCheckCounter,
    private_storage,
)
from register.photos import photo_delete
from register.query import positive_int
from register.resources import CarExportForm, CarResource
from register.services import (
    RegisterError,
    car_unverify,
    car_verify,
    car_vin_flags_refresh,
    claim_approve,
    claim_reject,
    user_delete,
    vin_check,
)
from register.spreadsheet import SpreadsheetCSV

VIN_CHARS = re.compile(r"^[A-HJ-NPR-Z0-9]+$")


# Users ---------------------------------------------------------------------------------------


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {"fields": ("display_name", "country", "show_name_publicly", "language", "first_name", "last_name")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "display_name", "country", "show_name_publicly", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "display_name", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def delete_model(self, request, obj):
        # Cars stay in the register; their ownership periods are closed.
        user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            user_delete(user=user)


# Model facts, colours, markets ---------------------------------------------------------------


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


# Cars ----------------------------------------------------------------------------------------


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


class PhotoFormSet(BaseInlineFormSet):
    def save_existing(self, form, obj, commit=True):
        # Only the caption is edited here. Saving every field would write back a stale
        # is_main after photo_delete promoted another photo in the same request.
        photo = form.save(commit=False)
        if commit:
            photo.save(update_fields=["caption"])
        return photo

    def delete_existing(self, obj, commit=True):
        if commit:
            photo_delete(photo=obj)


class CarPhotoInline(admin.TabularInline):
    model = CarPhoto
    formset = PhotoFormSet
    fields = ("preview", "caption", "is_main", "created")
    readonly_fields = ("preview", "is_main", "created")
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # Photos are uploaded by owners and re-encoded by register.photos.
        return False

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return photo_preview(obj)


def photo_preview(photo: CarPhoto):
    if not photo.thumbnail:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" style="max-width:160px;height:auto" loading="lazy">',
        photo.thumbnail.url,
        photo.caption or gettext("Photo of %(car)s") % {"car": photo.car},
    )


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


@admin.register(CarPhoto)
class CarPhotoAdmin(admin.ModelAdmin):
    list_display = ("preview", "car", "caption", "is_main", "created")
    list_select_related = ("car",)
    list_filter = ("is_main",)
    search_fields = ("car__vin", "caption")
    fields = ("preview", "car", "caption", "is_main", "width", "height", "created")
    readonly_fields = ("preview", "car", "is_main", "width", "height", "created")

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return photo_preview(obj)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        obj.save(update_fields=["caption"])

    def delete_model(self, request, obj):
        photo_delete(photo=obj)

    def delete_queryset(self, request, queryset):
        for photo in queryset:
            photo_delete(photo=photo)


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


# Claims --------------------------------------------------------------------------------------


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
        response = FileResponse(private_storage.open(claim.evidence.name), content_type=kind)
        response["Cache-Control"] = "private, no-store"
        return response

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

    def _decide_confirm_page(self, request, claims, *, approve: bool, from_list: bool):
        """What deciding ``claims`` will do, read the way the services will act: the car's owner now, the
        entries of sessions not yet over that an approval cancels, the other pending claims it rejects."""
        pending = [claim for claim in claims if claim.status == Claim.Status.PENDING]
        for claim in pending:
            claim.upcoming_entries = list(
                Entry.objects.active()
                .not_over()
                .filter(car=claim.car_id)
                .select_related("session__event", "driver")
                .order_by("session__starts_at", "pk")
            )
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
