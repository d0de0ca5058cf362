from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from common.storage import PrivateFileSystemStorage, get_private_storage, private_storage  # noqa: F401
from register import vin as vin_rules
from register.facts import Colour, Market, RegisteredModel  # noqa: F401 (models of the app)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An owner, organiser or registrar. Email is the login."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    country = CountryField(_("country"), blank=True)
    show_name_publicly = models.BooleanField(
        _("show my name on public pages"),
        default=False,
        help_text=_("Off by default: public pages say “Registered owner” instead."),
    )
    # The pages and every email to this person are in this language (common.i18n.user_language).
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of these pages and of the emails the register sends you."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.email

    @property
    def public_name(self) -> str:
        """The name the public may see: only with the owner's consent."""
        if self.show_name_publicly and self.display_name:
            return self.display_name
        return ""


class CarQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Car.Status.VERIFIED)

    def publicly_listed(self):
        """Verified cars with what a public list shows, in register order."""
        return (
            self.verified()
            .select_related("colour", "owner")
            .prefetch_related(
                Prefetch("photos", queryset=CarPhoto.objects.filter(is_main=True), to_attr="main_photos")
            )
            .order_by("register_number")
        )

    def owned_by(self, user):
        return self.filter(owner=user)


class Car(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")

    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    colour = models.ForeignKey(Colour, on_delete=models.PROTECT, verbose_name=_("colour"))
    colour_note = models.CharField(
        _("colour note"),
        max_length=100,
        blank=True,
        help_text=_("A repaint or a BMW Individual name, e.g. “Java Green”."),
    )
    market = CountryField(_("market"), help_text=_("Country of first delivery."))
    production_month = models.DateField(_("production month"), null=True, blank=True)
    nickname = models.CharField(_("nickname"), max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cars",
        verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    register_number = models.PositiveIntegerField(_("register number"), null=True, blank=True, unique=True)
    check_digit_flag = models.CharField(
        _("check-digit flag"),
        max_length=200,
        blank=True,
        help_text=_("Set when the check digit does not match outside North America."),
    )
    vin_flags = models.TextField(
        _("VIN flags"),
        blank=True,
        help_text=_("Positions 7, 10 and 11 against the model facts, one per line: for the registrar to check."),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = CarQuerySet.as_manager()

    class Meta:
        ordering = ["register_number", "pk"]
        verbose_name = _("car")
        verbose_name_plural = _("cars")
        constraints = [
            models.CheckConstraint(condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$"), name="car_vin_well_formed"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(register_number__isnull=False),
                name="car_verified_has_register_number",
            ),
        ]
        permissions = [("import_car", "Can import cars"), ("export_car", "Can export cars")]

    def __str__(self):
        label = f"#{self.register_number}" if self.register_number else self.vin_masked
        return f"{label} {self.nickname}".strip()

    def get_absolute_url(self):
        return reverse("car_detail", args=[self.register_number])

    @property
    def public_register_number(self) -> int | None:
        """The register number public pages name the car by: a verified car's only (``car_unverify`` keeps the
        number with a car set back to pending, whose own page is then a 404)."""
        return self.register_number if self.status == self.Status.VERIFIED else None

    @property
    def vin_masked(self) -> str:
        """First 6 and last 4 characters: enough to recognise, not to clone."""
        return f"{self.vin[:6]}•••••••{self.vin[-4:]}"

    @property
    def colour_label(self) -> str:
        return f"{self.colour.name} ({self.colour_note})" if self.colour_note else self.colour.name

    def check_digit_note(self) -> str:
        """The check-digit flag in the reader's language: it is stored in English (``register.vin``), so
        the sentence is built again from the VIN, which the flag always follows."""
        return vin_rules.check_digit_note(self.vin) if self.check_digit_flag else ""

    @property
    def main_photo(self):
        photos = getattr(self, "main_photos", None)
        if photos is not None:
            return photos[0] if photos else None
        return self.photos.filter(is_main=True).first()


def photo_path(instance, filename):
    # Names are chosen by the server (see register.photos); never the uploader's.
    return f"cars/{filename}"


class CarPhoto(models.Model):
    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="photos", verbose_name=_("car"))
    image = models.ImageField(_("photo"), upload_to=photo_path)
    display = models.ImageField(_("display size"), upload_to=photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    is_main = models.BooleanField(_("main photo"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_main", "created", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.UniqueConstraint(fields=["car"], condition=Q(is_main=True), name="one_main_photo_per_car"),
        ]

    def __str__(self):
        return self.image.name


def person_label(user, former_id: int | None) -> str:
    """Who a kept record is about: the account, or a placeholder once the account is deleted."""
    if user is not None:
        return str(user)
    if former_id:
        return gettext("deleted account #%(id)d") % {"id": former_id}
    return gettext("deleted account")


class Ownership(models.Model):
    """Who owned a car when. The current owner has an open period (``ended`` empty)."""

    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="ownerships")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="ownerships"
    )
    # The owner's former account id once the account is deleted: tells periods of one person apart
    # without keeping anything personal.
    former_owner_id = models.PositiveIntegerField(_("deleted account"), null=True, blank=True)
    started = models.DateTimeField(_("from"))
    ended = models.DateTimeField(_("to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["car", "started"]
        verbose_name = _("ownership")
        verbose_name_plural = _("ownership history")
        constraints = [
            models.UniqueConstraint(
                fields=["car"], condition=Q(ended__isnull=True), name="one_open_ownership_per_car"
            ),
        ]

    def __str__(self):
        return f"{self.car} — {self.owner_label}"

    @property
    def owner_label(self) -> str:
        return person_label(self.owner, self.former_owner_id)


# The first migration names this class; the storage itself is settings.STORAGES["private"] (common/storage.py).
PrivateStorage = PrivateFileSystemStorage


def evidence_path(instance, filename):
    # Names are chosen by the server (see register.photos); never the uploader's.
    return f"claims/{filename}"


class ClaimQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Claim.Status.PENDING)


class Claim(models.Model):
    """A user says an already registered car is now theirs; a registrar decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn (account deleted)")

    car = models.ForeignKey(Car, on_delete=models.CASCADE, related_name="claims", verbose_name=_("car"))
    # A claim is the registrars' decision record: it outlives the claimant's account.
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("claimant"),
    )
    former_claimant_id = models.PositiveIntegerField(_("deleted account"), null=True, blank=True)
    message = models.TextField(_("message to the registrar"), blank=True)
    # A photo of the registration document: private, shown to registrars only, deleted once decided.
    evidence = models.ImageField(
        _("registration document"), upload_to=evidence_path, storage=get_private_storage, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("ownership claim")
        verbose_name_plural = _("ownership claims")
        constraints = [
            models.UniqueConstraint(
                fields=["car", "claimant"], condition=Q(status="pending"), name="one_pending_claim_per_claimant"
            ),
        ]

    def __str__(self):
        return f"{self.claimant_label} → {self.car}"

    @property
    def claimant_label(self) -> str:
        return person_label(self.claimant, self.former_claimant_id)


class VinCheckCounter(models.Model):
    """How many times one account or one client address asked whether a VIN is registered.

    The add-car and claim forms answer "already registered"; from the masked VIN on a public car page
    the full VIN could be guessed that way, so each account and each address gets
    ``VIN_CHECKS_PER_HOUR`` answers per hour. Registrars see the counters in the admin.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("account")
        ADDRESS = "address", _("client address")

    kind = models.CharField(_("counted per"), max_length=10, choices=Kind)
    key = models.CharField(_("account or address"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    window_start = models.DateTimeField(_("hour started"))
    checks = models.PositiveIntegerField(_("checks this hour"), default=0)
    refused = models.PositiveIntegerField(_("refused this hour"), default=0)
    refused_total = models.PositiveIntegerField(_("refused in all"), default=0)
    last_check = models.DateTimeField(_("last check"), null=True, blank=True)

    class Meta:
        ordering = ["-last_check"]
        verbose_name = _("VIN check counter")
        verbose_name_plural = _("VIN check counters")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_vin_counter_per_key")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"
