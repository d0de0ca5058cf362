"""Forms of the register's pages. They validate input; the services in register.services change state."""

from __future__ import annotations

import unicodedata

import django_filters
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from register import services
from register.models import Car, Colour, RegisteredModel, User
from register.vin import VIN_LENGTH, normalise_vin

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus the owner's profile; the name stays private unless the box is ticked."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("How other owners and organisers see you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # Callable: the country names are those of the visitor's language, not of the first import.
    country = LazyTypedChoiceField(label=_("Country"), choices=lambda: [("", "---------"), *countries], required=False)
    show_name_publicly = forms.BooleanField(
        label=_("Show my name on public pages"),
        required=False,
        initial=False,
        help_text=_("Off by default: public pages say “Registered owner” instead."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["email", "password1", "password2", "display_name", "country", "show_name_publicly"])

    def validate_unique_email(self, value: str) -> str:
        # Taken only by an account's login email or a verified address: an address someone added to
        # their account unverified must not keep its real owner out. A taken address is not an error
        # (that would tell who is registered): allauth sends its owner a mail and answers as for a new one.
        self.account_already_exists = (
            User.objects.filter(email__iexact=value).exists()
            or EmailAddress.objects.filter(email__iexact=value, verified=True).exists()
        )
        return value

    def signup(self, request, user: User) -> None:
        services.email_address_release(email=user.email, user=user)
        services.user_profile_update(
            user=user,
            display_name=self.cleaned_data["display_name"],
            country=self.cleaned_data["country"],
            show_name_publicly=self.cleaned_data["show_name_publicly"],
            # The language the visitor was reading in when they signed up; changeable on the profile.
            language=get_language(),
        )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "country", "show_name_publicly", "language"]
        help_texts = {"display_name": _("How other owners and organisers see you.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A form posted without it (an older page) keeps the saved language.
        self.fields["language"].required = False


class MonthField(forms.DateField):
    """A month (``<input type="month">``, ``YYYY-MM``) stored as the first day of that month."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


class CarEditForm(forms.ModelForm):
    """What an owner may change about a registered car (everything but the VIN)."""

    production_month = MonthField(
        label=_("Production month"),
        required=False,
        help_text=_("From the build sticker or the BMW data card, if you know it."),
    )

    class Meta:
        model = Car
        fields = ["colour", "colour_note", "market", "production_month", "nickname"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colour"].queryset = Colour.objects.order_by("sort_order", "name")
        self.fields["colour"].empty_label = None

    def clean_production_month(self):
        month = self.cleaned_data["production_month"]
        model = RegisteredModel.current()
        if month is None or model is None or not (model.production_start and model.production_end):
            return month
        first = model.production_start.replace(day=1)
        last = model.production_end.replace(day=1)
        if not first <= month <= last:
            raise forms.ValidationError(
                _("The %(model)s was built from %(first)s to %(last)s."),
                code="outside_production",
                params={
                    "model": model.name,
                    "first": date_format(first, "YEAR_MONTH_FORMAT"),
                    "last": date_format(last, "YEAR_MONTH_FORMAT"),
                },
            )
        return month

    def clean(self):
        cleaned = super().clean()
        market = cleaned.get("market")
        if self.instance.pk and market and market != self.instance.market:
            # A new market can make the stored VIN invalid (North American rules are stricter).
            result = services.vin_check(self.instance.vin, market=str(market))
            for message in result.errors:
                self.add_error("market", message)
        return cleaned


def too_many_vin_checks() -> forms.ValidationError:
    return forms.ValidationError(
        _(
            "Your account or your network has had %(limit)d VIN checks in the last hour, the most we answer. "
            "To keep the owners' VINs private, please try again in an hour."
        )
        % {"limit": settings.VIN_CHECKS_PER_HOUR},
        code="too_many_vin_checks",
    )


class VinAnswerMixin:
    """For a form that tells whether a VIN is registered: only on an otherwise valid form, and only
    ``VIN_CHECKS_PER_HOUR`` times an hour per account and per client address."""

    def __init__(self, *args, user: User, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.address = address

    def may_answer(self) -> bool:
        if self._errors:
            return False
        if not services.vin_check_allow(user=self.user, address=self.address):
            self.add_error("vin", too_many_vin_checks())
            return False
        return True


class CarForm(VinAnswerMixin, CarEditForm):
    """Registering a car: the VIN plus what the owner may edit later."""

    vin = forms.CharField(
        label=_("VIN"),
        max_length=40,
        help_text=_("17 characters, on the registration papers or at the bottom of the windscreen."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    field_order = ["vin", "colour", "colour_note", "market", "production_month", "nickname"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new car has no colour yet: the owner picks one instead of accepting the first in the list.
        self.fields["colour"].empty_label = _("Choose…")
        self.duplicate_vin = ""

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("vin")
        if not raw:
            return cleaned
        result = services.vin_check(raw, market=str(cleaned.get("market") or ""))
        for message in result.errors:
            self.add_error("vin", message)
        if result.is_valid:
            cleaned["vin"] = result.vin
            if self.may_answer() and Car.objects.filter(vin=result.vin).exists():
                self.mark_duplicate(result.vin)
        return cleaned

    def mark_duplicate(self, vin: str) -> None:
        """The VIN is registered already: say so next to the field and offer a claim instead."""
        self.duplicate_vin = vin
        self.add_error("vin", forms.ValidationError(_("This car is already registered."), code="duplicate"))
        claim_url = f"{reverse('register:claim')}?{urlencode({'vin': vin})}"
        self.fields["vin"].help_text = format_html(
            '{} <a class="btn btn-sm btn-outline-primary ms-1" href="{}">{}</a>',
            _("Is it yours now?"),
            claim_url,
            _("Claim this car"),
        )
        # The bound field may already exist (and copied the old help text) during validation.
        self._bound_fields_cache.pop("vin", None)


class ClaimForm(VinAnswerMixin, forms.Form):
    vin = forms.CharField(label=_("VIN"), max_length=40)
    evidence = forms.FileField(
        label=_("Photo of the registration document"),
        help_text=_(
            "Showing the VIN and your name. Only the registrars see it, and it is deleted once they have decided."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    message = forms.CharField(
        label=_("Message to the registrar"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("When and from whom you bought the car, and anything that helps the registrar decide."),
    )

    def clean_vin(self):
        vin = normalise_vin(self.cleaned_data["vin"])
        if len(vin) != VIN_LENGTH:
            raise forms.ValidationError(
                _("A VIN has 17 characters; this one has %(count)d.") % {"count": len(vin)}, code="length"
            )
        return vin

    def clean_evidence(self):
        from register.photos import process_image

        # Decoded and re-encoded like every photo: no EXIF (GPS), no bytes of the upload survive.
        return process_image(self.cleaned_data["evidence"]).image

    def clean(self):
        cleaned = super().clean()
        self.car = None
        if cleaned.get("vin") and self.may_answer():
            self.car = Car.objects.select_related("colour").filter(vin=cleaned["vin"]).first()
            if self.car is None:
                self.add_error(
                    "vin",
                    forms.ValidationError(
                        _("No car with this VIN is in the register. You can register it instead."), code="unknown"
                    ),
                )
        return cleaned


class PhotoForm(forms.Form):
    # A plain FileField: register.photos decides what is an acceptable image (HEIC included).
    image = forms.FileField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}))
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted for good; my cars stay in the register without owner."),
        required=True,
    )


def _market_choices():
    codes = Car.objects.verified().order_by().values_list("market", flat=True).distinct()
    names = dict(countries)
    return sorted(((code, names.get(code, code)) for code in codes), key=lambda choice: _alphabetical(choice[1]))


def _alphabetical(name) -> str:
    """A sort key that files Ä with A and Ö with O, as German lists do ("Dänemark" before "Deutschland")."""
    return unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().casefold()


class CarFilter(django_filters.FilterSet):
    colour = django_filters.ModelChoiceFilter(
        label=_("Colour"), queryset=Colour.objects.order_by("sort_order", "name"), empty_label=_("All colours")
    )
    market = django_filters.ChoiceFilter(label=_("Market"), choices=_market_choices, empty_label=_("All markets"))

    class Meta:
        model = Car
        fields = ["colour", "market"]
