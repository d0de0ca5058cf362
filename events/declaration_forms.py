"""The forms of the declaration page: a signature (driver's or passenger's), and the passenger's name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from events.declaration_pdf import SignatureImageError, signature_png

NAME_MAX = 120


def _clean_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise forms.ValidationError(_("Type the full name."), code="required")
    if not name.isprintable():
        raise forms.ValidationError(_("Type the name in plain letters."), code="invalid")
    return name


class SignForm(forms.Form):
    """Typed full name, and a drawing or the choice to sign by typing the name (the keyboard way)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(
        label=_("Full name"),
        max_length=NAME_MAX,
        error_messages={"required": _("Type the full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words"}),
    )
    typed = forms.BooleanField(
        label=_("I sign by typing my name (no drawing)"),
        required=False,
    )
    # The drawing as a data URL, filled in by static/js/declaration.js; checked in clean().
    signature = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)

    def __init__(self, *args, role: str, **kwargs):
        kwargs.setdefault("prefix", role)
        super().__init__(*args, **kwargs)
        self.role = role
        self.png: bytes | None = None
        if role == "passenger":
            self.fields["name"].label = _("Passenger’s full name")
            self.fields["name"].widget.attrs["autocomplete"] = "off"
            self.fields["typed"].label = _("The passenger signs by typing their name (no drawing)")

    def clean_name(self):
        return _clean_name(self.cleaned_data["name"])

    def clean(self):
        cleaned = super().clean()
        drawing = cleaned.get("signature") or ""
        if cleaned.get("typed"):
            return cleaned  # the typed name is the signature; a drawing sent along is ignored
        if not drawing:
            self.add_error(
                "signature", _("Please draw the signature, or choose to sign by typing the name (the box above).")
            )
            return cleaned
        try:
            self.png = signature_png(drawing)
        except SignatureImageError as error:
            self.add_error("signature", str(error))
        return cleaned


class PassengerForm(forms.Form):
    name = forms.CharField(
        label=_("Passenger’s full name"),
        max_length=NAME_MAX,
        required=False,
        help_text=_("Leave empty if nobody rides with you."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "words"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "passenger-name")
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if name and not name.isprintable():
            raise forms.ValidationError(_("Type the name in plain letters."), code="invalid")
        return name
