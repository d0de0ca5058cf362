"""The map of personal data: for every model of the project's apps, and the third-party models that hold a
person's data, which fields are personal — what each is, why it is kept (``purposes``), and what erasing the
person does to it — and which fields are not. It drives the export ("Download my data"), the erasure that
follows an account's deletion, and the privacy page; ``tests/portal/test_datamap.py`` fails when a model of
the project gains a field this map does not classify.

Erasure (``Erase``): DELETE — the person's rows are deleted; BLANK — the field is emptied in their rows;
PLACEHOLDER — replaced by "deleted account #n"; UNLINK — a link to the account, cleared when the account goes
(the foreign key's ``SET_NULL``; the register keeps the former account number where it tells periods apart);
KEEP — kept, for the reason its purpose gives (the books; a car's register entry).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.privacy.schema import (
    Erase,
    Personal,
    Record,
    body_without_secrets,
    entries_of,
    logins,
    mail_to,
    mail_to_erase,
    sessions_of,
    signatures_of,
    you,
)

P = Personal
ACCOUNT, PUBLIC, REGISTER, CLAIMS, EVENTS, GATE = "account", "public_name", "register", "claims", "events", "gate"
MAIL, SECURITY, SESSION, BOOKS, STAFF, REQUESTS = "mail", "security", "session", "books", "staff", "requests"
DECLARATIONS, PASSENGERS = "declarations", "passengers"
OWNER_LINK = P(_("owner (your account)"), REGISTER, Erase.UNLINK)
STAFF_LINK = P(_("member of staff"), STAFF, Erase.UNLINK)
HISTORY_USER = P(_("who made the change (an account number)"), STAFF, Erase.KEEP)
LOGIN_FIELDS = {
    "user_agent": P(_("browser"), SECURITY, Erase.DELETE),
    "ip_address": P(_("IP address"), SECURITY, Erase.DELETE),
    "username": P(_("email address used to log in"), SECURITY, Erase.DELETE),
    "http_accept": P(_("browser's accepted formats"), SECURITY, Erase.DELETE),
    "path_info": P(_("page"), SECURITY, Erase.DELETE),
}
LOGIN_SHOWN = ("attempt_time", "ip_address", "user_agent", "path_info")
CAR_FIELDS = frozenset(
    {"id", "vin", "colour", "colour_note", "market", "production_month", "nickname", "status", "register_number"}
    | {"check_digit_flag", "vin_flags", "verified_at", "created", "updated"}
)
ENTRY_FIELDS = frozenset(
    {"id", "session", "car", "status", "slot", "requirements_confirmed", "checked_in_at", "created", "cancelled_at"}
    | {"amount_due", "payment_reference", "payment_due", "paid_at", "payment_reminded_at"}
)
EVENT_FIELDS = frozenset(
    {"id", "name", "slug", "venue", "starts_on", "ends_on", "description", "registration_opens"}
    | {"registration_closes", "roster_published", "roster_published_at", "show_check_ins", "payment_days"}
    | {"refund_until"}
)
SESSION_FIELDS = frozenset(
    {"id", "event", "name", "slug", "kind", "track", "starts_at", "ends_at", "capacity", "fee", "laps", "pace_car"}
    | {"convoy_hand_ordered", "requirements", "declaration_required"}
)
DECLARATION_TEXTS = frozenset({"driver_text_en", "driver_text_de", "passenger_text_en", "passenger_text_de"})
STATEMENT_FIELDS = frozenset({"id", "file_name", "sha256", "format", "imported_at", "credits_read", "credits_new"})
CSV_LAYOUT_FIELDS = frozenset(
    {"id", "name", "date_column", "amount_column", "remittance_column", "payer_name_column", "payer_iban_column"}
    | {"bank_reference_column", "credit_debit_column", "debit_marks", "currency_column", "currency"}
    | {"pending_column", "pending_marks", "delimiter", "decimal_separator", "date_format", "encoding"}
)
HISTORY_FIELDS = frozenset({"history_id", "history_date", "history_change_reason", "history_type"})

RECORDS: tuple[Record, ...] = (
    Record(
        "register.User",
        _("Your account"),
        {
            "email": P(_("email address"), ACCOUNT, Erase.DELETE),
            "password": P(_("password (stored as a one-way hash)"), ACCOUNT, Erase.DELETE),
            "first_name": P(_("first name"), ACCOUNT, Erase.DELETE),
            "last_name": P(_("last name"), ACCOUNT, Erase.DELETE),
            "display_name": P(_("display name"), PUBLIC, Erase.DELETE),
            "show_name_publicly": P(_("consent to show your name"), PUBLIC, Erase.DELETE),
            "country": P(_("country"), ACCOUNT, Erase.DELETE),
            "language": P(_("language"), ACCOUNT, Erase.DELETE),
            "last_login": P(_("last login"), ACCOUNT, Erase.DELETE),
            "date_joined": P(_("joined"), ACCOUNT, Erase.DELETE),
        },
        frozenset({"id", "is_superuser", "is_staff", "is_active"}),
        rows=lambda user: apps.get_model("register.User").objects.filter(pk=user.pk),
        shown=("email", "display_name", "first_name", "last_name", "show_name_publicly", "country", "language")
        + ("date_joined", "last_login"),
    ),
    Record(
        "account.EmailAddress",
        _("Email addresses"),
        {"email": P(_("email address"), ACCOUNT, Erase.DELETE), "user": P(_("account"), ACCOUNT, Erase.DELETE)},
        frozenset({"id", "verified", "primary"}),
        rows=lambda user: user.emailaddress_set.all(),
        shown=("email", "verified", "primary"),
    ),
    Record(
        "account.EmailConfirmation",
        _("Address confirmations"),
        {"email_address": P(_("email address to confirm"), ACCOUNT, Erase.DELETE)},
        frozenset({"id", "created", "sent", "key"}),
    ),
    Record(
        "register.Car",
        _("Your cars"),
        {"owner": OWNER_LINK},
        CAR_FIELDS,
        rows=lambda user: apps.get_model("register.Car").objects.owned_by(user),
        shown=("register_number", "vin", "colour", "colour_note", "market", "production_month", "nickname")
        + ("status", "verified_at", "created"),
    ),
    Record(
        "register.HistoricalCar",
        _("Changes to cars"),
        {"owner": P(_("owner (an account number)"), REGISTER, Erase.KEEP), "history_user": HISTORY_USER},
        CAR_FIELDS | HISTORY_FIELDS,
    ),
    Record(
        "register.CarPhoto",
        _("Photos of your cars"),
        {
            "image": P(_("photo"), REGISTER, Erase.KEEP),
            "display": P(_("photo, display size"), REGISTER, Erase.KEEP),
            "thumbnail": P(_("photo, thumbnail"), REGISTER, Erase.KEEP),
            "caption": P(_("caption"), REGISTER, Erase.KEEP),
        },
        frozenset({"id", "car", "width", "height", "is_main", "created"}),
        rows=lambda user: apps.get_model("register.CarPhoto").objects.filter(car__owner=user),
        shown=("car", "image", "caption", "is_main", "created"),
    ),
    Record(
        "register.Ownership",
        _("Ownership history"),
        {"owner": OWNER_LINK, "former_owner_id": P(_("former account number"), REGISTER, Erase.KEEP)},
        frozenset({"id", "car", "started", "ended", "note"}),
        rows=lambda user: apps.get_model("register.Ownership").objects.filter(Q(owner=user) | Q(car__owner=user)),
        shown=("car", "owner", "started", "ended"),
        formats={"owner": you("owner_id", _("another owner"))},
    ),
    Record(
        "register.Claim",
        _("Ownership claims"),
        {
            "claimant": P(_("claimant (your account)"), CLAIMS, Erase.UNLINK),
            "former_claimant_id": P(_("former account number"), CLAIMS, Erase.KEEP),
            "message": P(_("message to the registrar"), CLAIMS, Erase.BLANK),
            "evidence": P(_("registration document"), CLAIMS, Erase.DELETE),
            "decided_by": STAFF_LINK,
        },
        frozenset({"id", "car", "status", "created", "decided_at"}),
        rows=lambda user: apps.get_model("register.Claim").objects.filter(claimant=user),
        shown=("car", "message", "evidence", "status", "created", "decided_at"),
    ),
    Record(
        "register.VinCheckCounter",
        _("VIN check counters"),
        {
            "key": P(_("account number or IP address"), SECURITY, Erase.DELETE),
            "user": P(_("account"), SECURITY, Erase.DELETE),
        },
        frozenset({"id", "kind", "window_start", "checks", "refused", "refused_total", "last_check"}),
        rows=lambda user: apps.get_model("register.VinCheckCounter").objects.filter(user=user),
        shown=("checks", "refused", "refused_total", "last_check"),
    ),
    Record(
        "register.Colour",
        _("Colours"),
        {},
        frozenset({"id", "name", "paint_code", "hex", "kind", "note", "sort_order"}),
    ),
    Record("register.Market", _("Markets"), {}, frozenset({"id", "country", "delivered", "approximate", "source"})),
    Record(
        "register.RegisteredModel",
        _("Model facts"),
        {},
        frozenset(
            {"id", "name", "chassis", "wmi", "vds_prefix", "model_year_codes", "built_for_customers", "built_internal"}
            | {"production_start", "production_end", "source", "plant_codes", "north_american_year_codes"}
            | {"north_american_markets", "right_hand_markets", "position7_north_america", "position7_left_hand"}
            | {"position7_right_hand", "vin_rules_source"}
        ),
    ),
    Record("events.Event", _("Events"), {}, EVENT_FIELDS),
    Record("events.Session", _("Sessions"), {}, SESSION_FIELDS),
    Record("events.RosterGeneration", _("Roster generation"), {}, frozenset({"id", "value"})),
    Record(
        "events.Entry",
        _("Entries"),
        {
            "driver": P(_("driver (your account)"), EVENTS, Erase.UNLINK),
            "ticket_token": P(_("ticket's link"), EVENTS, Erase.KEEP),
            "ticket_code": P(_("ticket code"), EVENTS, Erase.KEEP),
            "signup_token": P(_("sign-up form's token"), EVENTS, Erase.KEEP),
            "checked_in_by": STAFF_LINK,
        },
        ENTRY_FIELDS | {"changed_at", "paid_mail_due"},
        rows=entries_of,
        shown=("session", "car", "driver", "status", "slot", "requirements_confirmed", "checked_in_at")
        + ("ticket_code", "created", "cancelled_at", "amount_due", "payment_reference", "payment_due", "paid_at"),
        formats={"driver": you("driver_id", _("another driver"))},
    ),
    Record(
        "events.HistoricalEntry",
        _("Changes to entries"),
        {"driver": P(_("driver (an account number)"), EVENTS, Erase.KEEP), "history_user": HISTORY_USER}
        | {"checked_in_by": P(_("checked in by (an account number)"), STAFF, Erase.KEEP)},
        ENTRY_FIELDS | HISTORY_FIELDS,
    ),
    Record(
        "events.GateScan",
        _("Scans of your tickets at the gate"),
        {"by": STAFF_LINK, "device": P(_("the gate phone's label"), STAFF, Erase.KEEP)},
        frozenset({"id", "nonce", "event", "entry", "scanned_at", "received_at", "online", "outcome", "reason"}),
        rows=lambda user: apps.get_model("events.GateScan").objects.filter(entry__in=entries_of(user)),
        shown=("entry", "scanned_at", "outcome", "reason"),
    ),
    Record("events.Declaration", _("Declarations"), {}, DECLARATION_TEXTS | {"id", "event", "updated"}),
    Record(
        "events.DeclarationVersion",
        _("Versions of declarations"),
        {"published_by": STAFF_LINK},
        DECLARATION_TEXTS | {"id", "declaration", "number", "published_at"},
    ),
    Record(
        "events.DeclarationSignature",
        _("Declarations you signed"),
        {
            "name": P(_("full name as signed"), DECLARATIONS, Erase.BLANK),
            "image": P(_("drawn signature"), DECLARATIONS, Erase.DELETE),
            "pdf": P(_("signed declaration (PDF)"), DECLARATIONS, Erase.DELETE),
            "sha256": P(_("fingerprint of the signed PDF (SHA-256)"), DECLARATIONS, Erase.KEEP),
            "collected_by": STAFF_LINK,
        },
        frozenset({"id", "entry", "role", "version", "method", "signed_at", "language"}),
        rows=signatures_of,
        shown=("entry", "role", "version", "name", "method", "image", "signed_at", "language", "pdf", "sha256"),
        formats={"version": lambda row, user: f"{row.version.declaration.event} v{row.version.number}"},
    ),
    Record(
        "events.Passenger",
        _("Passengers you named"),
        {"name": P(_("passenger's full name"), PASSENGERS, Erase.BLANK)},
        frozenset({"id", "entry", "named_at"}),
        rows=lambda user: apps.get_model("events.Passenger").objects.filter(entry__in=entries_of(user)),
        shown=("entry", "name", "named_at"),
    ),
    # The gate's (events/attention.py): deleted by the retention job GATE_DATA_KEPT_DAYS after the event, and with
    # the person. The attention note is the organisers' note about the driver's entry: theirs to see too (Art. 15).
    Record(
        "events.EmergencyContact",
        _("Emergency contacts you gave"),
        {
            "name": P(_("emergency contact's name"), GATE, Erase.DELETE),
            "phone": P(_("emergency contact's phone number"), GATE, Erase.DELETE),
        },
        frozenset({"entry", "updated_at"}),
        rows=lambda user: apps.get_model("events.EmergencyContact").objects.of_driver(user),
        shown=("entry", "name", "phone", "updated_at"),
    ),
    Record(
        "events.AttentionNote",
        _("Organisers' notes on your entries for the gate"),
        {"note": P(_("note for the gate"), GATE, Erase.DELETE)},
        frozenset({"entry", "flagged_at"}),
        rows=lambda user: apps.get_model("events.AttentionNote").objects.of_driver(user),
        shown=("entry", "note", "flagged_at"),
    ),
    Record(
        "events.PendingNotice",
        _("Notices waiting to be sent"),
        {"driver": P(_("driver (your account)"), EVENTS, Erase.DELETE)},
        frozenset({"id", "event", "send_after"}),
        rows=lambda user: apps.get_model("events.PendingNotice").objects.filter(driver=user),
        shown=("event", "send_after"),
    ),
    Record(
        "events.EntrantMessage",
        _("Messages to entrants"),
        {"sent_by": STAFF_LINK},
        frozenset({"id", "event", "session", "include_waitlisted", "subject", "body", "sent_at"}),
    ),
    Record(
        "events.EntrantMessageRecipient",
        _("Messages from the organisers"),
        {
            "user": P(_("recipient (your account)"), MAIL, Erase.UNLINK),
            "email": P(_("email address"), MAIL, Erase.BLANK),
        },
        frozenset({"id", "message"}),
        rows=lambda user: apps.get_model("events.EntrantMessageRecipient").objects.filter(user=user),
        shown=("message", "email"),
        formats={"message": lambda row, user: f"{row.message.subject}\n\n{row.message.body}"},
    ),
    Record(
        "outbox.Message",
        _("Mail sent to you"),
        {
            "recipient": P(_("recipient"), MAIL, Erase.DELETE),
            "to": P(_("recipients"), MAIL, Erase.DELETE),
            "cc": P(_("copy to"), MAIL, Erase.DELETE),
            "bcc": P(_("blind copy to"), MAIL, Erase.DELETE),
            "subject": P(_("subject"), MAIL, Erase.DELETE),
            "text": P(_("text"), MAIL, Erase.DELETE),
            "html": P(_("text as HTML"), MAIL, Erase.DELETE),
            "attachments": P(_("attachments"), MAIL, Erase.DELETE),
            "headers": P(_("headers"), MAIL, Erase.DELETE),
            "language": P(_("language"), MAIL, Erase.DELETE),
            "last_error": P(_("the mail server's answer"), MAIL, Erase.DELETE),
        },
        frozenset({"id", "message_id", "from_email", "reply_to", "mixed_subtype", "kind", "carries_secret"})
        | {"status", "attempts", "created", "last_attempt", "sent"},
        rows=mail_to,
        erase_rows=mail_to_erase,
        shown=("created", "sent", "status", "kind", "recipient", "subject", "text"),
        formats={"text": body_without_secrets},
    ),
    Record("payments.Statement", _("Bank statements"), {"imported_by": STAFF_LINK}, STATEMENT_FIELDS),
    Record("payments.CsvLayout", _("CSV layouts"), {}, CSV_LAYOUT_FIELDS),
    Record(
        "payments.BankTransaction",
        _("Payments of your entries"),
        {
            "payer_name": P(_("payer's name"), BOOKS, Erase.KEEP),
            "payer_iban": P(_("payer's IBAN"), BOOKS, Erase.KEEP),
            "remittance": P(_("remittance information"), BOOKS, Erase.KEEP),
            "decided_by": STAFF_LINK,
        },
        frozenset({"id", "bank_reference", "statement", "booked_on", "amount", "currency", "status", "entry"})
        | {"decided_at", "note"},
        rows=lambda user: apps.get_model("payments.BankTransaction").objects.filter(entry__in=entries_of(user)),
        shown=("entry", "booked_on", "amount", "currency", "payer_name", "payer_iban", "remittance", "status"),
    ),
    Record(
        "payments.Refund",
        _("Refunds of your entries"),
        {
            "payer_name": P(_("payer's name"), BOOKS, Erase.KEEP),
            "payer_iban": P(_("payer's IBAN"), BOOKS, Erase.KEEP),
            "done_by": STAFF_LINK,
        },
        frozenset({"id", "entry", "transaction", "amount", "reason", "status", "created_at", "exported_at"})
        | {"export_id", "done_at"},
        rows=lambda user: apps.get_model("payments.Refund").objects.filter(entry__in=entries_of(user)),
        shown=("entry", "amount", "payer_name", "payer_iban", "reason", "status", "created_at", "done_at"),
    ),
    Record(
        "portal.DataRequest",
        _("Exports and erasures of your data"),
        {"subject_id": P(_("account number"), REQUESTS, Erase.KEEP), "by": STAFF_LINK},
        frozenset({"id", "kind", "by_staff", "at"}),
        rows=lambda user: apps.get_model("portal.DataRequest").objects.filter(subject_id=user.pk),
        shown=("kind", "at", "by_staff"),
    ),
    Record("portal.RetentionRun", _("Retention runs"), {}, frozenset({"id", "started", "finished", "counts"})),
    Record(
        "sessions.Session",
        _("Login sessions"),
        {"session_data": P(_("login session"), SESSION, Erase.DELETE)},
        frozenset({"session_key", "expire_date"}),
        rows=sessions_of,
    ),
    Record(
        "admin.LogEntry",
        _("Staff's change log"),
        {
            "user": P(_("member of staff"), STAFF, Erase.DELETE),
            "object_repr": P(_("name of the record changed"), STAFF, Erase.PLACEHOLDER),
            "change_message": P(_("what changed"), STAFF, Erase.BLANK),
        },
        frozenset({"id", "action_time", "content_type", "object_id", "action_flag"}),
        rows=lambda user: apps.get_model("admin.LogEntry").objects.filter(
            content_type__app_label="register", content_type__model="user", object_id=str(user.pk)
        ),
    ),
    Record(
        "axes.AccessAttempt",
        _("Failed logins"),
        LOGIN_FIELDS
        | {
            "get_data": P(_("the login request"), SECURITY, Erase.DELETE),
            "post_data": P(_("the login form, without the password"), SECURITY, Erase.DELETE),
        },
        frozenset({"id", "attempt_time", "failures_since_start"}),
        rows=logins("axes.AccessAttempt"),
        shown=LOGIN_SHOWN,
    ),
    Record(
        "axes.AccessFailureLog",
        _("Failed logins (log)"),
        LOGIN_FIELDS,
        frozenset({"id", "attempt_time", "locked_out"}),
        rows=logins("axes.AccessFailureLog"),
        shown=LOGIN_SHOWN,
    ),
    Record(
        "axes.AccessLog",
        _("Logins"),
        LOGIN_FIELDS | {"session_hash": P(_("login session (a hash)"), SECURITY, Erase.DELETE)},
        frozenset({"id", "attempt_time", "logout_time"}),
        rows=logins("axes.AccessLog"),
        shown=LOGIN_SHOWN + ("logout_time",),
    ),
    Record(
        "axes.AccessAttemptExpiration", _("Failed logins' expiry"), {}, frozenset({"access_attempt", "expires_at"})
    ),
)

BY_LABEL: dict[str, Record] = {record.label: record for record in RECORDS}
