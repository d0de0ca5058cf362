"""The declarations drivers and passengers sign before they go on track (of the events app, imported by
``events/models.py``).

**Draft and versions.** Each event has one ``Declaration``: the organisers' draft of the driver's and the
passenger's text, in English and German, edited in the admin. Publishing it
(``events.services.declaration_publish``) freezes the draft as the next numbered ``DeclarationVersion`` (v1,
v2, …); later edits of the draft change nothing that was published, and only the next publish makes a new version
of them. The newest version is the event's *current* one. A version's texts, number and time never change once
written: the admin shows versions read-only, and a database trigger (migration ``events/0012``) refuses any
UPDATE of those columns, whoever writes (the link to the member of staff who published may still be cleared when
that account goes).

**Who must sign.** A session that needs it says so (``Session.declaration_required``: the track sessions and the
convoy on the circuit, not the dinner). Its drivers sign the event's current version; a passenger the driver
names (``Passenger``) signs the passenger's text, on the driver's phone or at the gate on an organiser's phone.
A version published after someone signed asks them to sign again; the old signature is kept.

**A signature.** ``DeclarationSignature``: the entry it was given for, the role (driver or passenger), the version,
the full name as typed, how it was signed (drawn with a finger or mouse, or by typing the name — the keyboard way,
which needs no drawing), the drawn image (PNG), the time, the language of the text read, and a PDF of all of it
(``events.declaration_pdf``) with its SHA-256. Image and PDF live in private storage (no URL serves them); they are
read through views that check who asks. A driver's signature counts for every entry of theirs in the event (one
signature per event and version, whichever entry it was given for); a passenger's counts for the entry that names
them, and only if given after the passenger was last named (another name, another person).

**How long.** The retention job (``portal.privacy.retention``) empties passenger names 30 days after the event, and
the signatures' names, images and PDFs ``DECLARATIONS_KEPT_YEARS`` after the end of the event's year (the regular
limitation period, §§ 195, 199 BGB); the SHA-256, the version and the time stay: who holds the PDF can still prove
it is the one signed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from register.models import get_private_storage

LANGUAGES = (("en", "English"), ("de", "Deutsch"))


def _texts(obj, role: str, language: str | None = None) -> str:
    """The text of ``role`` in ``language`` (the active one by default), else in the other language."""
    language = (language or get_language() or "en")[:2]
    first = getattr(obj, f"{role}_text_{'de' if language == 'de' else 'en'}")
    return first or getattr(obj, f"{role}_text_{'en' if language == 'de' else 'de'}")


class Declaration(models.Model):
    """An event's declaration as the organisers are writing it (the draft); what drivers sign are its versions."""

    event = models.OneToOneField(
        "events.Event", on_delete=models.CASCADE, related_name="declaration", verbose_name=_("event")
    )
    driver_text_en = models.TextField(_("driver's declaration (English)"), blank=True)
    driver_text_de = models.TextField(_("driver's declaration (German)"), blank=True)
    passenger_text_en = models.TextField(_("passenger's declaration (English)"), blank=True)
    passenger_text_de = models.TextField(_("passenger's declaration (German)"), blank=True)
    updated = models.DateTimeField(_("draft changed"), auto_now=True)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")

    def __str__(self):
        return str(self.event)

    TEXT_FIELDS = ("driver_text_en", "driver_text_de", "passenger_text_en", "passenger_text_de")

    def draft(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.TEXT_FIELDS}

    @property
    def current(self) -> DeclarationVersion | None:
        return self.versions.order_by("-number").first()


class DeclarationVersion(models.Model):
    """A published version of an event's declaration: frozen (see the module's docstring)."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="versions", verbose_name=_("declaration")
    )
    number = models.PositiveIntegerField(_("version"))
    driver_text_en = models.TextField(_("driver's declaration (English)"))
    driver_text_de = models.TextField(_("driver's declaration (German)"))
    passenger_text_en = models.TextField(_("passenger's declaration (English)"), blank=True)
    passenger_text_de = models.TextField(_("passenger's declaration (German)"), blank=True)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["declaration", "number"]
        verbose_name = _("declaration version")
        verbose_name_plural = _("declaration versions")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="declaration_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="declaration_version_number_positive"),
            models.CheckConstraint(
                condition=~Q(driver_text_en="") | ~Q(driver_text_de=""), name="declaration_version_has_driver_text"
            ),
        ]

    def __str__(self):
        return f"v{self.number}"

    def text(self, role: str, language: str | None = None) -> str:
        return _texts(self, role, language)


class Passenger(models.Model):
    """The passenger a driver takes along in an entry: named by the driver; an empty name is no passenger."""

    entry = models.OneToOneField(
        "events.Entry", on_delete=models.CASCADE, related_name="passenger", verbose_name=_("entry")
    )
    name = models.CharField(_("passenger's full name"), max_length=120, blank=True)
    named_at = models.DateTimeField(_("named at"))

    class Meta:
        verbose_name = _("passenger")
        verbose_name_plural = _("passengers")

    def __str__(self):
        return self.name or "—"


def signature_path(instance, filename):
    # Names are chosen by the server, never by the browser (events.services.declarations).
    return f"declarations/{filename}"


class DeclarationSignature(models.Model):
    """One signature of a declaration version, for an entry, by its driver or passenger. Never changed, except
    that the retention job and an erasure empty what is personal (name, image, PDF) and keep the hash."""

    class Role(models.TextChoices):
        DRIVER = "driver", _("Driver")
        PASSENGER = "passenger", _("Passenger")

    class Method(models.TextChoices):
        DRAWN = "drawn", _("drawn")
        TYPED = "typed", _("typed name")

    entry = models.ForeignKey(
        "events.Entry", on_delete=models.PROTECT, related_name="declaration_signatures", verbose_name=_("entry")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role)
    version = models.ForeignKey(
        DeclarationVersion, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("version")
    )
    name = models.CharField(_("full name as signed"), max_length=120, blank=True)
    method = models.CharField(_("signed by"), max_length=10, choices=Method)
    image = models.FileField(_("drawn signature"), upload_to=signature_path, storage=get_private_storage, blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES)
    pdf = models.FileField(_("signed PDF"), upload_to=signature_path, storage=get_private_storage, blank=True)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    # An organiser whose phone it was signed on at the gate; empty when the driver's own account signed.
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed at the gate with"),
    )

    class Meta:
        ordering = ["signed_at", "pk"]
        verbose_name = _("declaration signature")
        verbose_name_plural = _("declaration signatures")
        constraints = [
            # A driver once per version (per event, checked under the declaration's lock); a passenger too, but a
            # passenger named anew is another person who signs the same version again.
            models.UniqueConstraint(
                fields=["entry", "version"], condition=Q(role="driver"), name="declaration_driver_signs_once"
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="declaration_sha256_hex"),
            models.CheckConstraint(condition=Q(role__in=["driver", "passenger"]), name="declaration_role_known"),
            models.CheckConstraint(condition=Q(method__in=["drawn", "typed"]), name="declaration_method_known"),
        ]
        indexes = [models.Index(fields=["version", "role"], name="declaration_signature_version")]

    def __str__(self):
        return f"{self.get_role_display()} v{self.version.number} {self.signed_at:%Y-%m-%d %H:%M}"

    @property
    def text(self) -> str:
        return self.version.text(self.role, self.language)
