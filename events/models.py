from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from events import tickets
from register.models import Car, Ownership


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
    declaration_required = models.BooleanField(
        _("declaration required"),
        default=False,
        help_text=_("Drivers and passengers sign the event's declaration before this session, e.g. on track."),
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


class EntryQuerySet(models.QuerySet):
    def active(self):
        """Confirmed, awaiting payment or waitlisted: what a car and a driver have at most one of per session."""
        return self.filter(status__in=Entry.ACTIVE)

    def confirmed(self):
        """Confirmed only: a place awaiting payment has no valid ticket and is not on the roster."""
        return self.filter(status=Entry.Status.CONFIRMED)

    def holding_place(self):
        """Confirmed or awaiting payment: what counts toward a session's capacity."""
        return self.filter(status__in=Entry.HOLDING_PLACE)

    def awaiting_payment(self):
        return self.filter(status=Entry.Status.AWAITING_PAYMENT)

    def payment_overdue(self, now=None):
        """Awaiting payment past the deadline: the places ``services.entries_expire_overdue`` releases."""
        return self.awaiting_payment().filter(payment_due__lte=now or timezone.now())

    def not_over(self, now=None):
        """Entries of sessions that have not ended yet: what a person may still cancel or be cancelled from."""
        return self.filter(session__ends_at__gt=now or timezone.now())

    def visible_to(self, user):
        """The entries whose ticket a person may see: those they drive, and those made while they owned the
        car. A car's later owner does not see the earlier owner's entries (their QR codes, codes and
        check-in times): who owned it when comes from the ownership history, and the car's owner counts
        as such for entries made since it last changed hands."""
        return self.filter(Q(driver=user) | self._made_while_owned_by(user))

    def of_person(self, user):
        """A person's entries ("My entries"): those they drive, and the not yet ended ones made while they
        owned the car (a subset of ``visible_to``)."""
        return self.filter(Q(driver=user) | (self._made_while_owned_by(user) & Q(session__ends_at__gt=timezone.now())))

    @staticmethod
    def _made_while_owned_by(user) -> Q:
        ownerships = Ownership.objects.filter(car=OuterRef("car"))
        owned_then = ownerships.filter(owner=user, started__lte=OuterRef("created")).filter(
            Q(ended__isnull=True) | Q(ended__gt=OuterRef("created"))
        )
        changed_hands_since = ownerships.filter(started__gt=OuterRef("created"))
        return Q(Exists(owned_then)) | (Q(car__owner=user) & ~Q(Exists(changed_hands_since)))

    def waitlisted(self):
        return self.filter(status=Entry.Status.WAITLISTED).order_by("created", "pk")

    def in_slot_order(self):
        return self.order_by(F("slot").asc(nulls_last=True), "created", "pk")

    def with_waitlist_position(self):
        """Annotate ``waitlist_position``: the 1-based place in the session's waitlist (sign-up time, then
        id), counted in the same query; ``Entry.waitlist_position`` then reads it without a query of its own.
        Meaningful for waitlisted entries only."""
        ahead = (
            Entry.objects.filter(session=OuterRef("session"), status=Entry.Status.WAITLISTED)
            .filter(Q(created__lt=OuterRef("created")) | Q(created=OuterRef("created"), pk__lt=OuterRef("pk")))
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(waitlist_position=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1)

    def car_history(self, car):
        """The sessions a car took part in, newest first; kept across changes of owner."""
        return self.filter(car=car).confirmed().select_related("session__event").order_by("-session__starts_at")

    def on_published_rosters(self):
        """Only entries of events whose roster is public: what anybody may learn about an entry."""
        return self.filter(session__event__roster_published=True)

    def for_roster(self):
        return self.confirmed().select_related("car__colour", "driver").in_slot_order()


class Entry(models.Model):
    """A car signed up for a session. Never deleted: cancelled instead."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")
        # A place in a session with a fee, held until the fee arrives: it counts toward capacity but has no
        # slot and no valid ticket; paid → confirmed, past the deadline → expired (the place is released).
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        EXPIRED = "expired", _("Expired")

    # The statuses that hold a place (count toward capacity), and those that are "active" (one per car, driver
    # and session: the partial unique constraints below list the same values).
    HOLDING_PLACE = (Status.CONFIRMED, Status.AWAITING_PAYMENT)
    ACTIVE = (Status.CONFIRMED, Status.AWAITING_PAYMENT, Status.WAITLISTED)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="entries", verbose_name=_("session"))
    car = models.ForeignKey(Car, on_delete=models.PROTECT, related_name="entries", verbose_name=_("car"))
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="entries",
        verbose_name=_("driver"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status)
    slot = models.PositiveIntegerField(_("slot"), null=True, blank=True)
    requirements_confirmed = models.BooleanField(_("requirements confirmed"), default=False)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    # Random, never derived from the id: see events/tickets.py.
    ticket_token = models.CharField(_("ticket token"), max_length=64, unique=True, default=tickets.new_token)
    ticket_code = models.CharField(_("ticket code"), max_length=8, unique=True, default=tickets.new_code)
    created = models.DateTimeField(_("signed up"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # The random token of the sign-up form whose post created the entry: a second post of the same form (a
    # double click) is the same sign-up, not a new one (services.entry_create).
    signup_token = models.CharField(_("sign-up form"), max_length=64, null=True, blank=True, editable=False)
    # Payment of a session's fee (bank transfer): the amount as it was when the place was taken, the code the
    # driver puts in the transfer (events.payment_reference), the deadline, and when it arrived.
    amount_due = models.DecimalField(_("amount due (EUR)"), max_digits=7, decimal_places=2, null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=12, unique=True, null=True, blank=True)
    payment_due = models.DateTimeField(_("pay by"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_reminded_at = models.DateTimeField(_("payment reminder sent"), null=True, blank=True)
    # Paid by a bank statement, its mail not composed yet: the worker composes it (services.paid_mails_send).
    paid_mail_due = models.BooleanField(_("payment mail due"), default=False, editable=False)
    # When the row was last written, set by a database trigger whoever writes (a save, QuerySet.update,
    # bulk_update, plain SQL): the gate's list sends a phone the entries changed since its last download
    # (events.gatelist, which says why a trigger; migration 0009 installs it).
    changed_at = models.DateTimeField(_("changed"), null=True, editable=False, db_index=True)

    # The audit trail: a snapshot per change with who (history_user) and why (history_change_reason),
    # written by the services in the transaction of the change (see "Audit trails" in README.md). The
    # ticket's secrets never change and are not copied into every snapshot, nor is the sign-up form's token.
    history = HistoricalRecords(
        excluded_fields=["ticket_token", "ticket_code", "signup_token", "changed_at", "paid_mail_due"],
        verbose_name=_("entry change"),
        verbose_name_plural=_("entry changes"),
    )
    objects = EntryQuerySet.as_manager()

    # Set by EntryQuerySet.with_waitlist_position() (see the waitlist_position property); not a column.
    _waitlist_position: int | None = None

    class Meta:
        ordering = ["session", "slot", "created", "pk"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "car"],
                condition=Q(status__in=["confirmed", "awaiting_payment", "waitlisted"]),
                name="entry_one_active_per_car_per_session",
            ),
            models.UniqueConstraint(
                fields=["session", "driver"],
                condition=Q(status__in=["confirmed", "awaiting_payment", "waitlisted"]),
                name="entry_one_active_per_driver_per_session",
            ),
            models.UniqueConstraint(
                fields=["signup_token"],
                condition=Q(status__in=["confirmed", "awaiting_payment", "waitlisted"]),
                name="entry_one_active_per_signup_token",
            ),
            # Deferred so that a reorder can move many slots in one transaction.
            models.UniqueConstraint(
                fields=["session", "slot"],
                name="entry_slot_unique_per_session",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(condition=Q(slot__isnull=True) | Q(slot__gte=1), name="entry_slot_positive"),
            models.CheckConstraint(
                condition=Q(status="confirmed") | Q(slot__isnull=True),
                name="entry_only_confirmed_have_slots",
            ),
            models.CheckConstraint(
                condition=~Q(status="awaiting_payment") | Q(payment_due__isnull=False, amount_due__isnull=False),
                name="entry_awaiting_payment_has_deadline_and_amount",
            ),
        ]

    def __str__(self):
        return f"{self.session} — {self.car}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_awaiting_payment(self) -> bool:
        return self.status == self.Status.AWAITING_PAYMENT

    @property
    def can_be_cancelled(self) -> bool:
        """Active and its session not over (``services.entry_cancel`` refuses the rest)."""
        return self.is_active and not self.session.is_over

    @property
    def refund_until(self):
        """Until when the driver gets a paid fee back if they cancel: the event's ``refund_until``, else the
        session's start."""
        return self.session.event.refund_until or self.session.starts_at

    def refunded_if_cancelled(self, *, by_organiser: bool = False, now=None) -> bool:
        """Whether cancelling this entry at ``now`` records a refund of its fee (``payments.receivers``): only a
        paid entry, always when an organiser cancels it, before ``refund_until`` when the driver does."""
        if self.paid_at is None or not self.amount_due:
            return False
        return by_organiser or (now or timezone.now()) < self.refund_until

    @property
    def has_valid_ticket(self) -> bool:
        """Only a confirmed entry's ticket lets a car in (not one awaiting payment, waitlisted, expired or
        cancelled)."""
        return self.status == self.Status.CONFIRMED

    @property
    def ticket_code_display(self) -> str:
        return tickets.format_code(self.ticket_code)

    def get_ticket_url(self):
        return reverse("events:ticket", args=[self.pk])

    @property
    def waitlist_position(self) -> int | None:
        """1-based place in the session's waitlist (by sign-up time, then id): the value annotated by
        ``with_waitlist_position()`` when the entry was read with it, else counted now."""
        if self.status != self.Status.WAITLISTED:
            return None
        if self._waitlist_position is not None:
            return self._waitlist_position
        return Entry.objects.filter(pk=self.pk).with_waitlist_position().values_list("waitlist_position", flat=True)[0]

    @waitlist_position.setter
    def waitlist_position(self, value: int) -> None:
        # Where the annotation of with_waitlist_position() lands when a queryset builds the entry.
        self._waitlist_position = value


# Models of their own modules, imported here so Django finds them: notices and messages to drivers, the gate's
# scans, the roster cache's generation, what the gate knows of an entry besides its ticket, the declarations.
from events.attention import AttentionNote, EmergencyContact  # noqa: E402, F401
from events.declarations import Declaration, DeclarationSignature, DeclarationVersion, Passenger  # noqa: E402, F401
from events.gate import GateScan  # noqa: E402, F401
from events.notices import EntrantMessage, EntrantMessageRecipient, PendingNotice  # noqa: E402, F401
from events.rostercache import RosterGeneration  # noqa: E402, F401
