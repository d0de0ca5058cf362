from __future__ import annotations

import secrets

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events import services
from events.forms_attention import EmergencyContactFields
from events.models import Session
from register.models import Car


class CarChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Car) -> str:
        label = f"#{obj.register_number}" if obj.register_number else obj.vin_masked
        parts = [label, obj.nickname, obj.colour.name]
        if obj.status == Car.Status.PENDING:
            parts.append(str(_("awaiting verification")))
        return " · ".join(p for p in parts if p)


class SignupForm(EmergencyContactFields, forms.Form):
    """Sign one of the user's own cars up for a session.

    The car list is limited to the user's cars, so a tampered id (someone else's car)
    fails validation like any other invalid choice. Each form carries a random token of its own: a second
    post of it (a double click) is the same sign-up (``services.entry_create``). The emergency contact is offered
    as the driver gave it last (``last_contact``: ``services.emergency_contact_last``, read once per page).
    """

    token = forms.RegexField(regex=r"^[-_a-zA-Z0-9]{16,64}$", required=False, widget=forms.HiddenInput)
    car = CarChoiceField(
        label=_("Car"),
        queryset=Car.objects.none(),
        empty_label=_("Choose one of your cars"),
        error_messages={"invalid_choice": _("Choose one of your own cars.")},
    )

    def __init__(self, *args, user, session: Session, last_contact=None, **kwargs):
        # Several sessions' forms share one page: keep their ids apart.
        kwargs.setdefault("auto_id", f"id_{session.slug}_%s")
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["token"].initial = secrets.token_urlsafe(16)
        self.fields["car"].queryset = Car.objects.owned_by(user).select_related("colour").order_by("created", "pk")
        if session.requirements:
            self.fields["requirements_confirmed"] = forms.BooleanField(
                label=_("I confirm: %(requirements)s") % {"requirements": session.requirements},
                required=True,
                error_messages={"required": _("Please confirm the requirements to sign up.")},
            )
        self.add_emergency_contact_fields(initial=last_contact)
        self.helper = FormHelper()
        self.helper.form_action = reverse("events:signup", args=[session.event.slug, session.slug])
        self.helper.attrs = {
            "aria-label": _("Sign up for %(session)s") % {"session": session.name},
            "data-submit-once": "",  # static/js/signup.js
        }
        self.helper.add_input(
            Submit("submit", pgettext_lazy("an event session", "Sign up"), css_id=f"submit-{session.slug}")
        )

    @property
    def requirements_confirmed(self) -> bool:
        return bool(self.cleaned_data.get("requirements_confirmed", False))


class RosterFilterForm(forms.Form):
    """GET filter of the roster by paint colour; the choices come from colours already fetched."""

    colour = forms.TypedChoiceField(label=_("Colour"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, colours, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colour"].choices = [("", _("All colours")), *((c.pk, c.name) for c in colours)]

    def colour_id(self) -> int | None:
        return self.cleaned_data.get("colour") if self.is_valid() else None


class CheckInSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Short code, register number, slot or name"),
        max_length=80,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "enterkeyhint": "search"}
        ),
    )


class FindCarForm(forms.Form):
    """GET: find a car in the roster by register number or nickname (events.roster.find_car)."""

    find = forms.CharField(
        label=_("Register number or nickname"),
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off", "enterkeyhint": "search"}),
    )


class EntrantMessageForm(forms.Form):
    """An organiser's message to the drivers of one event (or one of its sessions)."""

    session = forms.ModelChoiceField(
        label=_("To the drivers of"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=_("every session of the event"),
    )
    include_waitlisted = forms.BooleanField(label=_("Waitlisted drivers too"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10, "cols": 60}))

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["session"].queryset = Session.objects.filter(event=event).order_by("starts_at", "pk")

    def clean(self):
        cleaned_data = super().clean()
        if "session" not in self.errors:
            # A session that is over (or an event whose sessions all are) gets no message: said at the preview.
            try:
                services.entrant_message_check(event=self.event, session=cleaned_data.get("session"))
            except services.EntryError as error:
                self.add_error("session", str(error))
        return cleaned_data

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Write a subject."), code="required")
        return subject

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message."), code="required")
        return body
