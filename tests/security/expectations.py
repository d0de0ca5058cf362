"""Who may open which URL: the expectations table the access matrix and the GET-is-safe test share.

Every project URL (register:*, events:*, home, healthz, media) needs an entry in ``PROJECT``; admin URLs
are covered per model admin (``ADMIN_MODELS``) plus ``ADMIN_OTHER``; allauth and i18n URLs by ``ACCOUNTS``.
An outcome is ``(status, location)``; ``location`` is None unless the status is a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.contrib.contenttypes.models import ContentType
from django.templatetags.static import static
from django.urls import reverse

from tests.security.conftest import ROLES, World

Outcome = tuple[int, str | None]
Rule = Callable[[World, str], Outcome]


def ok(world: World, path: str) -> Outcome:
    return (200, None)


def not_found(world: World, path: str) -> Outcome:
    return (404, None)


def bad_request(world: World, path: str) -> Outcome:
    return (400, None)


def forbidden(world: World, path: str) -> Outcome:
    return (403, None)


def not_allowed(world: World, path: str) -> Outcome:
    return (405, None)


def login(world: World, path: str) -> Outcome:
    return (302, "/accounts/login/?next=" + quote(path, safe="/"))


def admin_login(world: World, path: str) -> Outcome:
    return (302, "/admin/login/?next=" + quote(path, safe="/"))


def to(target: str | Callable[[World], str]) -> Rule:
    """A redirect to a URL name (no arguments) or to what ``target(world)`` returns."""

    def rule(world: World, path: str) -> Outcome:
        return (302, target(world) if callable(target) else reverse(target))

    return rule


def everyone(rule: Rule) -> dict[str, Rule]:
    return dict.fromkeys(ROLES, rule)


def signed_in(rule: Rule, *, anonymous: Rule = login, **others: Rule) -> dict[str, Rule]:
    """``rule`` for every signed-in role, ``anonymous`` for the rest, ``others`` overriding single roles."""
    return {"anonymous": anonymous, **dict.fromkeys(ROLES[1:], rule), **others}


def only_owner(rule: Rule, *, others: Rule = not_found) -> dict[str, Rule]:
    """The owner's own object: anyone else signed in gets ``others`` (a 404, so nothing leaks)."""
    return {"anonymous": login, "owner": rule, "other": others, "organiser": others, "registrar": others}


def staff_only(rule: Rule) -> dict[str, Rule]:
    return {"anonymous": not_found, "owner": not_found, "other": not_found, "organiser": rule, "registrar": rule}


@dataclass
class Case:
    kwargs: Callable[[World], dict] = field(default=lambda w: {})
    expect: dict[str, Rule] = field(default_factory=dict)
    label: str = ""


def _event(w):
    return {"slug": w.event.slug}


def _hidden(w):
    return {"slug": w.hidden_event.slug}


# The project's own URLs. A new URL fails test_every_project_url_has_an_expectation until it is added here.
PROJECT: dict[str, list[Case]] = {
    "home": [Case(expect=everyone(ok))],
    "healthz": [Case(expect=everyone(ok))],
    "readyz": [Case(expect=everyone(ok))],
    # By address, not by role: the test client comes from 127.0.0.1, which METRICS_ALLOWED_IPS allows (others get
    # a 404: tests/portal/test_operations.py).
    "metrics": [Case(expect=everyone(ok))],
    "language": [Case(expect=everyone(ok))],
    "javascript-catalog": [Case(expect=everyone(ok))],
    # The installable web app (portal/webapp.py): the same for everyone.
    "service_worker": [Case(expect=everyone(ok))],
    "manifest": [Case(expect=everyone(ok))],
    "register:list": [Case(expect=everyone(ok))],
    "register:stats": [Case(expect=everyone(ok))],
    "car_detail": [
        Case(lambda w: {"number": w.car.register_number}, everyone(ok), "verified car"),
        Case(lambda w: {"number": 999_999}, everyone(not_found), "unknown number"),
    ],
    "register:garage": [Case(expect=signed_in(ok))],
    "register:car_add": [Case(expect=signed_in(ok))],
    "register:car_edit": [Case(lambda w: {"pk": w.car.pk}, only_owner(ok))],
    "register:car_photos": [Case(lambda w: {"pk": w.car.pk}, only_owner(ok))],
    # POST only: a GET is refused by every signed-in role; anonymous users are sent to log in first.
    "register:photo_main": [Case(lambda w: {"pk": w.photo.pk}, signed_in(not_allowed))],
    # GET is the confirmation page, POST deletes.
    "register:photo_delete": [Case(lambda w: {"pk": w.photo.pk}, only_owner(ok))],
    "register:claim": [Case(expect=signed_in(ok))],
    "register:profile": [Case(expect=signed_in(ok))],
    "register:account_delete": [Case(expect=signed_in(ok))],
    # The person's data as a ZIP: POST only (each export is recorded).
    "my_data": [Case(expect=signed_in(not_allowed))],
    "privacy": [Case(expect=everyone(ok))],
    "events:list": [Case(expect=everyone(ok))],
    "events:my_entries": [Case(expect=signed_in(ok))],
    # GET is the confirmation page, POST cancels (see test_post_only_urls_*).
    "events:entry_cancel": [Case(lambda w: {"pk": w.entry.pk}, only_owner(ok))],
    # The driver's emergency contact of an entry: the driver only (the organisers see it at the gate and in the admin).
    "events:emergency_contact": [Case(lambda w: {"pk": w.entry.pk}, only_owner(ok))],
    # The gate: organisers only; other signed-in roles get a 403 (they know the event exists).
    "events:check_in": [
        Case(_event, signed_in(forbidden, organiser=ok)),
        Case(lambda w: {"slug": "no-such-event"}, signed_in(forbidden, organiser=not_found), "unknown"),
    ],
    "events:check_in_counts": [Case(_event, signed_in(forbidden, organiser=ok))],
    # The phone's list and upload (JSON): anyone else gets a 403 in JSON, not logged in too (no login page for a
    # script); the upload is POST only.
    "events:check_in_list": [
        Case(_event, signed_in(forbidden, anonymous=forbidden, organiser=ok)),
        Case(lambda w: {"slug": "no-such-event"}, signed_in(forbidden, anonymous=forbidden, organiser=not_found)),
    ],
    "events:check_in_sync": [Case(_event, everyone(not_allowed))],
    # POST checks in; a GET shows the entry's result on the check-in page.
    "events:check_in_entry": [
        Case(
            lambda w: {"slug": w.event.slug, "pk": w.entry.pk},
            signed_in(
                forbidden,
                organiser=to(lambda w: reverse("events:check_in", args=[w.event.slug]) + f"?entry={w.entry.pk}"),
            ),
        )
    ],
    # The declaration page: its driver only; at the gate, the organisers (a 403 to the rest, as the gate).
    "events:declaration": [Case(lambda w: {"pk": w.entry.pk}, only_owner(ok))],
    "events:declaration_gate": [
        Case(lambda w: {"slug": w.event.slug, "pk": w.entry.pk}, signed_in(forbidden, organiser=ok))
    ],
    # A signed PDF: its driver and the organisers; a 404 to anyone else (staff who are not organisers too).
    "events:declaration_pdf": [
        Case(lambda w: {"pk": w.signature.pk}, {**only_owner(ok), "organiser": ok}),
        Case(lambda w: {"pk": 999_999}, signed_in(not_found), "unknown"),
    ],
    # The ticket: its driver and the car's owner (here the same person) only.
    "events:ticket": [Case(lambda w: {"pk": w.entry.pk}, only_owner(ok))],
    # A receipt: only of a paid entry (the world's is free), for those who may see its ticket.
    "payments:receipt": [Case(lambda w: {"pk": w.entry.pk}, only_owner(not_found), "not paid")],
    "events:detail": [
        Case(_event, everyone(ok), "published"),
        Case(_hidden, everyone(ok), "roster not published"),
        Case(lambda w: {"slug": "no-such-event"}, everyone(not_found), "unknown"),
    ],
    # POST only; a GET (e.g. back from the login page) goes to the event page.
    "events:signup": [
        Case(
            lambda w: {"slug": w.event.slug, "session_slug": w.session.slug},
            signed_in(to(lambda w: w.event.get_absolute_url())),
        ),
        Case(lambda w: {"slug": w.event.slug, "session_slug": "nope"}, signed_in(not_found), "unknown session"),
    ],
    # Published rosters are public; before that only staff may preview (registrars are staff too).
    "events:roster": [Case(_event, everyone(ok), "published"), Case(_hidden, staff_only(ok), "unpublished")],
    "events:roster_json": [Case(_event, everyone(ok), "published"), Case(_hidden, staff_only(ok), "unpublished")],
    "events:roster_csv": [Case(_event, everyone(ok), "published"), Case(_hidden, staff_only(ok), "unpublished")],
    "events:calendar": [Case(_event, everyone(ok), "published"), Case(_hidden, everyone(ok), "unpublished")],
    # Photos are served from the default storage (disk or bucket) under server-chosen names; nothing else lives there.
    "<^media/(?P<path>.*)$>": [
        Case(lambda w: {"path": w.photo.thumbnail.name}, everyone(ok), "a thumbnail"),
        Case(lambda w: {"path": "../config/settings.py"}, everyone(bad_request), "path traversal"),
        Case(lambda w: {"path": "cars/missing.jpg"}, everyone(not_found), "missing file"),
    ],
    # Browsers ask for it on pages that declare no icon (the admin's): a permanent redirect to the SVG.
    "<favicon.ico>": [Case(expect=everyone(lambda w, path: (301, static("img/favicon.svg"))))],
}

# Model admins: which views each staff role may open (l = changelist, a = add, c = change, h = history,
# d = delete). Non-staff users are always sent to the admin login. Mirrors the group migrations and
# each ModelAdmin's has_*_permission overrides; a new model admin fails until it is listed here.
ADMIN_MODELS: dict[str, dict[str, str]] = {
    "auth.group": {"organiser": "", "registrar": ""},
    "account.emailaddress": {"organiser": "", "registrar": ""},
    # The lockout page promises that a registrar can unlock an account: view + delete. Organisers see no
    # login records (events migration 0005).
    "axes.accessattempt": {"organiser": "", "registrar": "lchd"},
    "axes.accesslog": {"organiser": "", "registrar": ""},
    "axes.accessfailurelog": {"organiser": "", "registrar": ""},
    "register.user": {"organiser": "lch", "registrar": "lch"},
    "register.colour": {"organiser": "lch", "registrar": "lachd"},
    "register.market": {"organiser": "", "registrar": "lachd"},
    "register.registeredmodel": {"organiser": "", "registrar": "lch"},
    "register.car": {"organiser": "lch", "registrar": "lch"},
    "register.carphoto": {"organiser": "", "registrar": "lchd"},
    "register.ownership": {"organiser": "", "registrar": "lch"},
    "register.claim": {"organiser": "", "registrar": "lch"},
    # VIN check counters: registrars see them and may delete one (a reset); nobody edits them.
    "register.vincheckcounter": {"organiser": "", "registrar": "lchd"},
    "events.event": {"organiser": "lach", "registrar": ""},
    "events.session": {"organiser": "lach", "registrar": ""},
    "events.entry": {"organiser": "lch", "registrar": ""},
    # Entry changes (the entries' history snapshots across entries): read-only for organisers, like the trail.
    "events.historicalentry": {"organiser": "lch", "registrar": ""},
    # Sent messages to entrants: read-only, for whoever may change events.
    "events.entrantmessage": {"organiser": "lch", "registrar": ""},
    # Declarations: organisers write and publish the draft (never delete it); versions and signatures read-only.
    "events.declaration": {"organiser": "lach", "registrar": ""},
    "events.declarationversion": {"organiser": "lch", "registrar": ""},
    "events.declarationsignature": {"organiser": "lch", "registrar": ""},
    # The gate's scans: written by the check-in services only, read by organisers.
    "events.gatescan": {"organiser": "lch", "registrar": ""},
    # Mail: each staff role lists and opens its area's (the matrix's message is an events mail); another area's
    # message is a 403 (tests/security/test_mail_secrets.py).
    "outbox.message": {"organiser": "lch", "registrar": "l"},
    # The bank side is the treasurers' (a group of its own, tests/payments/test_admin.py): neither role here.
    "payments.statement": {"organiser": "", "registrar": ""},
    "payments.banktransaction": {"organiser": "", "registrar": ""},
    "payments.csvlayout": {"organiser": "", "registrar": ""},
    # Refunds are the treasurers' (the matrix has no treasurer): organisers and registrars see none.
    "payments.refund": {"organiser": "", "registrar": ""},
    # The record of exports and erasures on request, and the retention job's runs: read-only, registrars.
    "portal.datarequest": {"organiser": "", "registrar": "lch"},
    "portal.retentionrun": {"organiser": "", "registrar": "lch"},
}
ADMIN_VIEWS = {"changelist": "l", "add": "a", "change": "c", "history": "h", "delete": "d"}


def non_staff(rule: Rule) -> dict[str, Rule]:
    return {"anonymous": admin_login, "owner": admin_login, "other": admin_login, "organiser": rule, "registrar": rule}


def _view_on_site(w):
    return {"content_type_id": ContentType.objects.get_for_model(w.car).pk, "object_id": w.car.pk}


ADMIN_OTHER: dict[str, list[Case]] = {
    "admin:index": [Case(expect=non_staff(ok))],
    "admin:login": [
        Case(expect={**everyone(ok), "organiser": to("admin:index"), "registrar": to("admin:index")}),
    ],
    # Logout is POST only; someone who is not staff is sent to the admin index (and from there to login).
    "admin:logout": [Case(expect={**everyone(to("admin:index")), "organiser": not_allowed, "registrar": not_allowed})],
    "admin:password_change": [Case(expect=non_staff(ok))],
    "admin:password_change_done": [Case(expect=non_staff(ok))],
    "admin:autocomplete": [Case(expect=non_staff(forbidden), label="no parameters")],
    "admin:jsi18n": [Case(expect=non_staff(ok))],
    # Setting someone's password needs change_user, which neither staff group has.
    "admin:auth_user_password_change": [Case(lambda w: {"id": w.users["other"].pk}, non_staff(forbidden))],
    "admin:view_on_site": [
        Case(_view_on_site, non_staff(to(lambda w: f"http://testserver{w.car.get_absolute_url()}")), "a car"),
    ],
    "admin:app_list": [
        Case(lambda w: {"app_label": "events"}, {**non_staff(ok), "registrar": not_found}, "events"),
        Case(lambda w: {"app_label": "register"}, non_staff(ok), "register"),
        Case(lambda w: {"app_label": "axes"}, {**non_staff(ok), "organiser": not_found}, "axes"),
        Case(lambda w: {"app_label": "auth"}, non_staff(not_found), "auth"),
        Case(lambda w: {"app_label": "account"}, non_staff(not_found), "account"),
        Case(lambda w: {"app_label": "payments"}, non_staff(not_found), "payments"),
        Case(lambda w: {"app_label": "portal"}, {**non_staff(ok), "organiser": not_found}, "portal"),
    ],
    # Importing a bank statement needs the treasurer permission (tests/payments/test_admin.py).
    "admin:payments_statement_import": [Case(expect=non_staff(forbidden))],
    # Import and export need the extra permissions only registrars have.
    "admin:register_car_import": [Case(expect={**non_staff(forbidden), "registrar": ok})],
    # process_import refuses a GET before it checks the permission.
    "admin:register_car_process_import": [Case(expect=non_staff(not_allowed))],
    "admin:register_car_export": [Case(expect={**non_staff(forbidden), "registrar": ok})],
    "admin:register_car_simple_history": [
        Case(
            lambda w: {"args": [w.car.pk, w.car.history.latest().history_id]},
            {**non_staff(ok)},
            "latest version",
        )
    ],
    # An entry's old version: shown to organisers, written back by nobody (test_admin_post.py).
    "admin:events_entry_simple_history": [
        Case(
            lambda w: {"args": [w.entry.pk, w.entry.history.latest().history_id]},
            {**non_staff(ok), "registrar": forbidden},
            "latest version",
        )
    ],
    # A claim's registration document, for those who may view claims (no such claim: a 404 for them).
    "admin:register_claim_evidence": [
        Case(lambda w: {"pk": 999_999}, {**non_staff(forbidden), "registrar": not_found})
    ],
    # Approve / reject from the claim's page: GET is the confirmation page, POST decides (no such claim: a 404).
    "admin:register_claim_approve": [
        Case(lambda w: {"object_id": 999_999}, {**non_staff(forbidden), "registrar": not_found})
    ],
    "admin:register_claim_reject": [
        Case(lambda w: {"object_id": 999_999}, {**non_staff(forbidden), "registrar": not_found})
    ],
    "admin:events_session_convoy": [
        Case(lambda w: {"object_id": w.session.pk}, {**non_staff(ok), "registrar": forbidden}),
    ],
    "admin:events_session_marshal_sheet": [
        Case(lambda w: {"object_id": w.session.pk}, {**non_staff(ok), "registrar": forbidden}),
    ],
    # GET is the confirmation page (publish/unpublish) or the message form; POST acts.
    "admin:events_event_publish": [
        Case(lambda w: {"object_id": w.hidden_event.pk}, {**non_staff(ok), "registrar": forbidden}),
    ],
    "admin:events_event_unpublish": [
        Case(lambda w: {"object_id": w.event.pk}, {**non_staff(ok), "registrar": forbidden}),
    ],
    "admin:events_event_message": [
        Case(lambda w: {"object_id": w.event.pk}, {**non_staff(ok), "registrar": forbidden}),
    ],
    # An event's books: treasurers only.
    "admin:payments_event_books": [Case(lambda w: {"object_id": w.event.pk}, non_staff(forbidden))],
    # Unnamed: the final catch-all. ("<model>/<id>/" redirects are covered per model admin.)
    "<admin/(?P<url>.*)$>": [Case(lambda w: {"url": "nope/"}, non_staff(not_found))],
}

# allauth and Django's set_language: grouped by what they are. Each one is listed so that a new allauth
# version that adds a page shows up here.
_signed_out_only = {**everyone(to("register:garage")), "anonymous": ok}
ACCOUNTS: dict[str, list[Case]] = {
    "account_login": [Case(expect=_signed_out_only)],
    "account_signup": [Case(expect=_signed_out_only)],
    "account_logout": [Case(expect={**everyone(ok), "anonymous": to("home")})],
    "account_inactive": [Case(expect=everyone(ok))],
    "account_reauthenticate": [Case(expect=signed_in(ok))],
    # Login by code is off. Reauthentication by a code mailed to the account's verified address is allauth's
    # default and is offered (every account has a verified address now that verification is mandatory);
    # without a requested code the confirm page sends the user to request one.
    "account_request_reauthentication_code": [Case(expect=signed_in(ok))],
    "account_confirm_reauthentication_code": [Case(expect=signed_in(to("account_request_reauthentication_code")))],
    "account_email": [Case(expect=signed_in(ok))],
    "account_email_verification_sent": [Case(expect=everyone(ok))],
    "account_change_password": [Case(expect=signed_in(ok))],
    "account_set_password": [Case(expect=signed_in(to("account_change_password")))],
    "account_reset_password": [Case(expect=everyone(ok))],
    "account_confirm_login_code": [Case(expect={**everyone(to("register:garage")), "anonymous": to("account_login")})],
    "account_confirm_email": [Case(lambda w: {"key": "not-a-key"}, everyone(ok), "bad key")],
    "account_reset_password_from_key_done": [Case(expect=everyone(ok))],
    "account_reset_password_from_key": [
        Case(lambda w: {"uidb36": "zz", "key": "not-a-key"}, everyone(ok), "bad key"),
    ],
    "account_reset_password_done": [Case(expect=everyone(ok))],
    "set_language": [Case(expect=everyone(to("home")), label="GET without next")],
}


def reverse_case(key: str, case: Case, world: World) -> str:
    kwargs = case.kwargs(world)
    if key.startswith("<"):
        return _reverse_unnamed(key, kwargs)
    args = kwargs.pop("args", None)
    return reverse(key, args=args) if args is not None else reverse(key, kwargs=kwargs)


def _reverse_unnamed(key: str, kwargs: dict) -> str:
    if key == "<^media/(?P<path>.*)$>":
        return "/media/" + kwargs["path"]
    if key == "<favicon.ico>":
        return "/favicon.ico"
    if key == "<admin/(?P<url>.*)$>":
        return "/admin/" + kwargs["url"]
    if key.startswith("<admin/") and key.endswith("/<path:object_id>/>"):
        return "/" + key[1:-1].replace("<path:object_id>", str(kwargs["object_id"]))
    raise KeyError(key)


def outcome(response) -> Outcome:
    location = response.get("Location") if response.status_code in (301, 302, 303, 307, 308) else None
    return (response.status_code, location)
