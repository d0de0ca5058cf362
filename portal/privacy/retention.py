"""The retention job: the map's time limits (``purposes.limits``), applied once a day (``portal/tasks.py``).

Each rule erases what is due at ``now`` and nothing else, and says how many records it touched; a run is
recorded (``portal.RetentionRun``) for the staff to see. The rules, by the purpose they serve:

- mail: sent or failed mail records older than ``MAIL_RECORDS_KEPT`` are deleted (queued ones wait for the
  worker), so is sent or failed mail to addresses no account holds (an erased person's last mails), and the
  addresses in the recipient lists of messages to entrants sent that long ago are emptied (the list keeps the
  link to the account while it exists);
- security: login records (django-axes) older than ``LOGIN_RECORDS_KEPT``, and VIN-check counters idle for
  ``VIN_CHECK_COUNTERS_KEPT`` (``register.services.vin_check_counters_forget``);
- session: expired login sessions (Django's ``clearsessions``, here so the run counts them);
- books: payers' names, IBANs and remittance texts of credits booked, and of refunds recorded, in a year that
  ended more than ``BOOKS_KEPT_YEARS`` years ago are emptied; the amounts and dates stay;
- passengers: a passenger's name ``PASSENGER_NAMES_KEPT`` after the event's last day;
- declarations: the signer's name, the drawing and the PDF of signatures of events in a year that ended more than
  ``DECLARATIONS_KEPT_YEARS`` years ago (the limitation period); the SHA-256, version and time stay.
- gate: the emergency contacts and attention notes of events whose last day ended ``GATE_DATA_KEPT_DAYS`` ago
  (``events.services.gate_data_forget``).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.models import DeclarationSignature, EntrantMessageRecipient, Passenger
from events.services import gate_data_forget
from outbox.models import Message
from payments.models import BankTransaction, Refund
from portal.models import RetentionRun
from register.models import User, private_storage
from register.services import vin_check_counters_forget


def mail_records(now) -> int:
    cutoff = now - settings.MAIL_RECORDS_KEPT
    deleted, _per_model = Message.objects.exclude(status=Message.Status.QUEUED).filter(created__lt=cutoff).delete()
    return deleted


def mail_to_no_account(now) -> int:
    """Sent or failed mail whose every recipient is an address no account holds (any more): the last mails to
    an erased person (their entries cancelled), a password reset asked for an unknown address."""
    users, addresses = User._meta.db_table, EmailAddress._meta.db_table
    no_account = (
        f'NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text({Message._meta.db_table}."to") AS address(value)'
        " WHERE lower(address.value) IN"
        f" (SELECT lower(email) FROM {users} UNION SELECT lower(email) FROM {addresses}))"
    )
    stale = Message.objects.exclude(status=Message.Status.QUEUED).exclude(to=[]).extra(where=[no_account])
    deleted, _per_model = Message.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return deleted


def entrant_message_addresses(now) -> int:
    cutoff = now - settings.MAIL_RECORDS_KEPT
    return EntrantMessageRecipient.objects.filter(message__sent_at__lt=cutoff).exclude(email="").update(email="")


def login_records(now) -> int:
    cutoff = now - settings.LOGIN_RECORDS_KEPT
    models = (AccessAttempt, AccessLog, AccessFailureLog)
    return sum(model.objects.filter(attempt_time__lt=cutoff).delete()[0] for model in models)


def vin_check_counters(now) -> int:
    return vin_check_counters_forget(now=now)


def sessions(now) -> int:
    deleted, _per_model = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


def books(now) -> int:
    """The year of the payment plus ``BOOKS_KEPT_YEARS`` full years: booked in 2020 with 10 years, kept to the
    end of 2030 and emptied from 1 January 2031."""
    last_year_due = timezone.localdate(now).year - settings.BOOKS_KEPT_YEARS - 1
    credits = (
        BankTransaction.objects.filter(booked_on__year__lte=last_year_due)
        .filter(~Q(payer_name="") | ~Q(payer_iban="") | ~Q(remittance=""))
        .update(payer_name="", payer_iban="", remittance="")
    )
    refunds = (
        Refund.objects.filter(created_at__year__lte=last_year_due)
        .filter(~Q(payer_name="") | ~Q(payer_iban=""))
        .update(payer_name="", payer_iban="")
    )
    return credits + refunds


def passenger_names(now) -> int:
    last_day = timezone.localdate(now) - settings.PASSENGER_NAMES_KEPT
    return Passenger.objects.filter(entry__session__event__ends_on__lt=last_day).exclude(name="").update(name="")


def declarations(now) -> int:
    """As the books: an event in 2025 with 3 years, kept to the end of 2028 and emptied from 1 January 2029."""
    last_year_due = timezone.localdate(now).year - settings.DECLARATIONS_KEPT_YEARS - 1
    due = DeclarationSignature.objects.filter(version__declaration__event__ends_on__year__lte=last_year_due).filter(
        ~Q(name="") | ~Q(image="") | ~Q(pdf="")
    )
    files = [name for pair in due.values_list("image", "pdf") for name in pair if name]
    count = due.update(name="", image="", pdf="")
    transaction.on_commit(lambda: [private_storage.delete(name) for name in files])
    return count


def gate_data(now) -> int:
    return gate_data_forget(now=now)


RULES = {
    "mail_records": mail_records,
    "mail_to_no_account": mail_to_no_account,
    "entrant_message_addresses": entrant_message_addresses,
    "login_records": login_records,
    "vin_check_counters": vin_check_counters,
    "sessions": sessions,
    "books": books,
    "passenger_names": passenger_names,
    "declarations": declarations,
    "gate_data": gate_data,
}


def retention_run(*, now=None) -> RetentionRun:
    """Apply every rule at ``now`` in one transaction and record the run."""
    now = now or timezone.now()
    with transaction.atomic():
        run = RetentionRun.objects.create(started=timezone.now())
        run.counts = {key: rule(now) for key, rule in RULES.items()}
        run.finished = timezone.now()
        run.save(update_fields=["counts", "finished"])
    return run
