"""Forms of what the gate knows of an entry besides its ticket (``events/attention.py``): the emergency contact a
driver gives at sign-up (fields added to the sign-up form) or changes in "My entries", and an organiser's
attention note in the admin."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from events.attention import NAME_MAX, NOTE_MAX, EmergencyContact
from events.services import Contact

PHONE_MAX = 30  # "+49 (0) 171 / 123 45 67" and the like fit


class PhoneField(PhoneNumberField):
    """A phone number as people type it, "+49 171 1234567" or "0171 1234567" (read as German), checked against the
    numbering plans of libphonenumber (the ``phonenumbers`` package); the cleaned value is a ``PhoneNumber``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("region", "DE")
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": _(
                    "This is not a phone number we can call. Write it with its country code, e.g. +49 171 1234567."
                )
            },
        )
        super().__init__(max_length=PHONE_MAX, **kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "maxlength": str(PHONE_MAX)})

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) > PHONE_MAX:
            raise ValidationError(
                _("A phone number has at most %(max)d characters.") % {"max": PHONE_MAX}, code="max_length"
            )
        return super().to_python(value)


class EmergencyContactFields:
    """Adds the emergency contact's name and phone to a form (both, or neither: then none is kept)."""

    def add_emergency_contact_fields(self, *, initial: EmergencyContact | None) -> None:
        self.fields["emergency_name"] = forms.CharField(
            label=_("Emergency contact: name"),
            max_length=NAME_MAX,
            required=False,
            initial=initial.name if initial else None,
            help_text=gettext(
                "Whom the organisers call if something happens to you at the event. Only the event’s organisers see "
                "it, and it is erased %(days)d days after the event."
            )
            % {"days": settings.GATE_DATA_KEPT_DAYS},
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        )
        self.fields["emergency_phone"] = PhoneField(
            label=_("Emergency contact: phone"), required=False, initial=initial.phone if initial else None
        )

    def clean(self):
        cleaned_data = super().clean()
        name = " ".join((cleaned_data.get("emergency_name") or "").split())
        cleaned_data["emergency_name"] = name
        phone = cleaned_data.get("emergency_phone")
        if "emergency_phone" in self.errors:
            return cleaned_data
        if name and not phone:
            self.add_error("emergency_phone", _("Give the phone number of your emergency contact too."))
        elif phone and not name:
            self.add_error("emergency_name", _("Give the name of your emergency contact too."))
        elif name and not name.isprintable():
            self.add_error("emergency_name", _("Write the name as plain text, on one line."))
        return cleaned_data

    @property
    def emergency_contact(self) -> Contact | None:
        name, phone = self.cleaned_data.get("emergency_name"), self.cleaned_data.get("emergency_phone")
        return Contact(name, phone) if name and phone else None


class EmergencyContactForm(EmergencyContactFields, forms.Form):
    """The driver's emergency contact of one entry ("My entries"); both fields empty removes it."""

    def __init__(self, *args, contact: EmergencyContact | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_emergency_contact_fields(initial=contact)


class AttentionForm(forms.Form):
    """The admin's "Flag for attention at the gate": the note the gate shows in large type."""

    note = forms.CharField(
        label=_("Note for the gate"),
        max_length=NOTE_MAX,
        help_text=_("Shown in large type at check-in, e.g. “first time on the Nordschleife”."),
        widget=forms.TextInput(attrs={"size": 60}),
    )

    def clean_note(self):
        note = " ".join(self.cleaned_data["note"].split())
        if not note:
            raise ValidationError(_("Write what the gate needs to know."), code="required")
        return note
