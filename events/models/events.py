"""Events and their sessions: dates, registration, capacity, fees, the convoy's pace car."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(roster_published=True)

    def upcoming(self, today=None):
        today = today or timezone.localdate()
        return self.filter(ends_on__gte=today).order_by("starts_on")

    def past(self, today=None):
        today = today or timezone.localdate()
        return self.filter(ends_on__lt=today).order_by("-starts_on")


class Event(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    venue = models.CharField(_("venue"), max_length=120)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    description = models.TextField(_("description"), blank=True)
    registration_opens = models.DateTimeField(_("registration opens"))
    registration_closes = models.DateTimeField(_("registration closes"))
    roster_published = models.BooleanField(_("roster published"), default=False)
    roster_published_at = models.DateTimeField(_("roster published at"), null=True, blank=True)
    show_check_ins = models.BooleanField(
        _("show check-ins on the public roster"),
        default=False,
        help_text=_(
            "Off: the roster and its downloads do not say which cars have arrived. Who has arrived tells "
            "whose home is empty and where a car is now; that is for the organisers, unless the event "
            "chooses to show it."
        ),
    )

    payment_days = models.PositiveSmallIntegerField(
        _("days to pay"),
        default=14,
        help_text=_(
            "For sessions with a fee: how long a place is held after sign-up until the fee has arrived. Never "
            "beyond an hour before the session starts; a sign-up close to the event gets a shorter deadline."
        ),
    )

    refund_until = models.DateTimeField(
        _("refunds until"),
        null=True,
        blank=True,
        help_text=_(
            "For sessions with a fee: until when a driver who cancels a paid entry gets the fee back. Empty: "
            "until the session starts. An entry an organiser cancels is always refunded."
        ),
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="event_ends_after_start"),
            models.CheckConstraint(
                condition=Q(registration_closes__gte=F("registration_opens")),
                name="event_registration_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("events:detail", args=[self.slug])

    def registration_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.registration_opens <= now < self.registration_closes


class SessionQuerySet(models.QuerySet):
    def with_counts(self):
        from events.models.entries import Entry  # entries build on sessions

        return self.annotate(
            confirmed_count=Count("entries", filter=Q(entries__status=Entry.Status.CONFIRMED)),
            waitlist_count=Count("entries", filter=Q(entries__status=Entry.Status.WAITLISTED)),
            held_count=Count("entries", filter=Q(entries__status__in=Entry.HOLDING_PLACE)),
        )


class Session(models.Model):
    class Kind(models.TextChoices):
        CONVOY = "convoy", _("Convoy")
        TRACK = "track", _("Track session")
        OTHER = "other", _("Other")

    class Track(models.TextChoices):
        NORDSCHLEIFE = "nordschleife", _("Nordschleife")
        GP = "gp", _("GP circuit")
        OTHER = "other", _("Other")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event"))
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.CONVOY)
    track = models.CharField(_("track"), max_length=15, choices=Track, default=Track.NORDSCHLEIFE)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    fee = models.DecimalField(
        _("fee (EUR)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("What a place costs, paid by bank transfer. Empty or 0: free."),
    )
    laps = models.PositiveSmallIntegerField(_("laps"), null=True, blank=True)
    pace_car = models.CharField(_("pace car"), max_length=80, blank=True)
    # Set when an organiser orders the convoy by hand (drag and drop, a slot typed in), cleared by an
    # auto-assign: auto-assign and renumber ask before they overwrite a hand-made order.
    convoy_hand_ordered = models.BooleanField(_("convoy ordered by hand"), default=False, editable=False)
    requirements = models.TextField(
        _("requirements"),
        blank=True,
        help_text=_("What a driver must confirm at sign-up, e.g. helmet and licence. Leave empty for none."),
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["event", "starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="session_slug_unique_per_event"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="session_capacity_not_negative"),
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(fee__isnull=True) | Q(fee__gte=0), name="session_fee_not_negative"),
        ]

    def __str__(self):
        return f"{self.event.name} — {self.name}"

    @property
    def has_started(self) -> bool:
        """Under way or over: it takes no more sign-ups (``services.entry_create``)."""
        return self.starts_at <= timezone.now()

    @property
    def is_over(self) -> bool:
        """Ended: its entries are the cars' history (who drove stays as it was), and nobody is emailed a place,
        a ticket or a waitlist position for it (``services``); ``EntryQuerySet.not_over`` is the same rule."""
        return self.ends_at <= timezone.now()

    @property
    def is_paid(self) -> bool:
        """A fee above 0: a place is held awaiting payment until the fee arrives (``services.entry_create``)."""
        return self.fee is not None and self.fee > Decimal("0")

    @property
    def places_left(self) -> int:
        """Places a new sign-up could take; none while cars wait (a freed place is theirs, see
        ``services.entry_create``). A place awaiting payment is taken. Needs ``with_counts()``."""
        if self.waitlist_count:
            return 0
        return max(self.capacity - self.held_count, 0)
