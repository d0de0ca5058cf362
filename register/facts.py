"""The model facts registrars keep (models of the register app, imported by ``register/models.py``): the model's
production figures and VIN rules, its colours and its markets."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from register.vin import VinFlagRules

HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"


class RegisteredModel(models.Model):
    """Facts about the car the register is for, editable by registrars."""

    name = models.CharField(_("name"), max_length=100)
    chassis = models.CharField(_("chassis"), max_length=20, blank=True)
    wmi = models.CharField(_("WMI (positions 1–3)"), max_length=3)
    vds_prefix = models.CharField(_("VDS prefix (positions 4–)"), max_length=5)
    model_year_codes = models.CharField(_("model-year codes (position 10)"), max_length=10, help_text=_("e.g. BC0"))
    built_for_customers = models.PositiveIntegerField(_("built for customers"))
    built_internal = models.PositiveIntegerField(_("built for internal use"))
    production_start = models.DateField(_("production start"), null=True, blank=True)
    production_end = models.DateField(_("production end"), null=True, blank=True)
    source = models.TextField(_("sources"), blank=True)
    # VIN flags for the registrar (register.vin.vin_flags): a mismatch is flagged, never refused.
    plant_codes = models.CharField(
        _("plant codes (position 11)"), max_length=10, blank=True, help_text=_("e.g. V for Leipzig")
    )
    north_american_year_codes = models.CharField(
        _("model-year codes of North American cars (position 10)"), max_length=10, blank=True, help_text=_("e.g. B")
    )
    north_american_markets = models.CharField(
        _("North American markets"), max_length=100, blank=True, help_text=_("ISO country codes, e.g. US CA")
    )
    right_hand_markets = models.CharField(
        _("right-hand-drive markets"), max_length=200, blank=True, help_text=_("ISO country codes, e.g. GB AU ZA")
    )
    position7_north_america = models.CharField(_("position 7, North America"), max_length=5, blank=True)
    position7_left_hand = models.CharField(_("position 7, left-hand drive elsewhere"), max_length=5, blank=True)
    position7_right_hand = models.CharField(_("position 7, right-hand drive"), max_length=5, blank=True)
    vin_rules_source = models.TextField(_("sources of the VIN flags"), blank=True)

    class Meta:
        verbose_name = _("registered model")
        verbose_name_plural = _("registered models")

    def __str__(self):
        return self.name

    @property
    def built_total(self) -> int:
        return self.built_for_customers + self.built_internal

    def vin_flag_rules(self) -> VinFlagRules:
        return VinFlagRules(
            north_american_markets=frozenset(self.north_american_markets.upper().split()),
            right_hand_markets=frozenset(self.right_hand_markets.upper().split()),
            position7_north_america=self.position7_north_america,
            position7_left_hand=self.position7_left_hand,
            position7_right_hand=self.position7_right_hand,
            north_american_year_codes=self.north_american_year_codes,
            plant_codes=self.plant_codes,
        )

    @classmethod
    def current(cls) -> RegisteredModel:
        return cls.objects.order_by("pk").first()


class Colour(models.Model):
    class Kind(models.TextChoices):
        FACTORY = "factory", _("Factory")
        INDIVIDUAL = "individual", _("BMW Individual")
        OTHER = "other", _("Other / repaint")

    name = models.CharField(_("name"), max_length=60, unique=True)
    paint_code = models.CharField(_("BMW paint code"), max_length=10, blank=True)
    hex = models.CharField(
        _("swatch"),
        max_length=7,
        default="#888888",
        validators=[RegexValidator(HEX_COLOUR, _("Enter the swatch as #RRGGBB, e.g. #E2611B."))],
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.FACTORY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("colour")
        verbose_name_plural = _("colours")
        constraints = [
            # The swatch goes into style and SVG attributes on public pages: only #RRGGBB, ever.
            models.CheckConstraint(condition=Q(hex__regex=HEX_COLOUR), name="colour_hex_is_rrggbb"),
        ]

    def __str__(self):
        return self.name


class Market(models.Model):
    """Known first-delivery figures for a country. Unknown markets have no row."""

    country = CountryField(_("country"), unique=True)
    delivered = models.PositiveIntegerField(_("cars delivered"), null=True, blank=True)
    approximate = models.BooleanField(_("approximate figure"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("market figure")
        verbose_name_plural = _("market figures")

    def __str__(self):
        return str(self.country.name)
