"""POST to every admin URL as every role: a role without the permission for a write changes nothing.

Built from the URL configuration like the GET matrix (``test_access_matrix.py``): every model admin's
changelist (each of its actions, and the list-editable save), add, change, history, delete and — for models
with history — the history form that reverts to an old version; then every other admin URL. The data posted
is what a superuser's browser would submit from the same page (every field of every form on it, read from
the HTML), so a refusal is not just an invalid form: ``test_admin_post_by_a_permitted_role_does_write``
shows that the same data, posted by a role that may write, changes the database.

"Changes nothing" is checked against a snapshot of the whole database (per table: row count and an md5 of
its rows, ``tests/security/dbstate.py``) taken before the first POST and after each one. One logged-in
client per role serves every request of a test.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.admin import site
from django.urls import NoReverseMatch, reverse
from simple_history.admin import SimpleHistoryAdmin

from register.models import User
from tests.security import urlwalk
from tests.security.conftest import ROLES
from tests.security.dbstate import changed_tables, db_snapshot
from tests.security.expectations import ADMIN_MODELS, ADMIN_OTHER, reverse_case
from tests.security.test_access_matrix import admin_object

# The writes each staff role may make through a model admin: a = add, c = change (also a revert through
# the history form, and the changelist's actions and list-editable save), d = delete (also the changelist's
# delete action). Mirrors the group migrations; everything not listed must leave the database as it was.
ADMIN_WRITES: dict[str, dict[str, str]] = {
    "axes.accessattempt": {"registrar": "d"},  # unlocking a login
    "register.colour": {"registrar": "acd"},
    "register.market": {"registrar": "acd"},
    "register.registeredmodel": {"registrar": "c"},
    "register.car": {"registrar": "c"},
    "register.carphoto": {"registrar": "cd"},
    "register.claim": {"registrar": "c"},
    "register.vincheckcounter": {"registrar": "d"},
    "events.event": {"organiser": "ac"},
    "events.session": {"organiser": "ac"},
    "events.entry": {"organiser": "c"},
    "events.declaration": {"organiser": "ac"},  # the draft; publishing is the change page's button or the action
    "outbox.message": {"organiser": "c", "registrar": "c"},  # "Send again"
    # The accounts' actions: a registrar's download of a person's data is recorded (portal.DataRequest).
    "register.user": {"registrar": "c"},
}
# Other admin URLs that write for some role. Login and logout change the session by design and are
# covered in test_csrf.py.
ADMIN_OTHER_WRITERS: dict[str, set[str]] = {
    "admin:password_change": {"organiser", "registrar"},  # their own password
    "admin:register_car_import": {"registrar"},
    "admin:register_car_process_import": {"registrar"},
    "admin:register_car_simple_history": {"registrar"},
    "admin:register_claim_approve": {"registrar"},
    "admin:register_claim_reject": {"registrar"},
    "admin:events_session_convoy": {"organiser"},
    "admin:events_event_publish": {"organiser"},
    "admin:events_event_unpublish": {"organiser"},
}
# History forms that revert for nobody: entries change only through the services, so even an organiser's
# POST of an old entry version must leave the database as it was.
READ_ONLY_HISTORY = {"events.entry"}
SESSION_URLS = {"admin:login", "admin:logout"}
LETTER = {
    "changelist": "cd",
    "add": "a",
    "change": "c",
    "redirect": "",
    "history": "",
    "delete": "d",
    "simple_history": "c",
}


class _FormFields(HTMLParser):
    """The (name, value) pairs a browser submits from the forms of a page: inputs (checked boxes only),
    selected options (or a single select's first), textareas. Buttons and files are left out."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self.fields.append((name, attr.get("value") or ("on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attr, "selected": [], "first": None}
        elif tag == "option" and self._select is not None:
            value = attr.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attr:
                self._select["selected"].append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = self._select["selected"]
            if not chosen and not self._select["multiple"] and self._select["first"] is not None:
                chosen = [self._select["first"]]
            self.fields += [(self._select["name"], value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None


def form_data(html: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


@pytest.fixture
def superuser_client(world):
    world.users["superuser"] = User.objects.create_superuser(email="root@example.org", password=None)
    return world.client("superuser")


def _posts_for_model(world, label: str, superuser_client) -> list[tuple[str, str, dict]]:
    """(view, path, data) for every POST a model admin accepts, with a superuser's form data."""
    obj = admin_object(world, label)
    app_label, model_name = label.split(".")
    model_admin = site._registry[type(obj)]
    posts = []
    for view in ("changelist", "add", "change", "history", "delete"):
        path = reverse(
            f"admin:{app_label}_{model_name}_{view}", args=[] if view in ("changelist", "add") else [obj.pk]
        )
        page = superuser_client.get(path)
        data = form_data(page.content.decode())
        if view == "changelist":
            for action in model_admin.get_actions(page.wsgi_request):
                posts.append(
                    (
                        view,
                        path,
                        {**data, "action": action, "_selected_action": [str(obj.pk)], "index": "0", "post": "yes"},
                    )
                )
            data = {**data, "_save": "Save"}
        posts.append((view, path, data))
        if view == "change":
            # "<model>/<id>/" only redirects to the change page; posted with the change page's data.
            posts.append(("redirect", path.removesuffix("change/"), data))
    if isinstance(model_admin, SimpleHistoryAdmin):
        version = obj.history.latest().history_id
        path = reverse(f"admin:{app_label}_{model_name}_simple_history", args=[obj.pk, version])
        posts.append(("simple_history", path, form_data(superuser_client.get(path).content.decode())))
    return posts


def _may_write(label: str, role: str, view: str) -> bool:
    if view == "simple_history" and label in READ_ONLY_HISTORY:
        return False
    allowed = ADMIN_WRITES.get(label, {}).get(role, "")
    return any(letter in allowed for letter in LETTER[view])


def test_the_post_matrix_covers_every_admin_url():
    # Built from the URL configuration: each admin route is a model admin's view (posted per model above,
    # with the "<model>/<id>/" redirect and the history form) or a key of ADMIN_OTHER.
    per_model = {
        f"admin:{label.replace('.', '_')}_{view}"
        for label in ADMIN_MODELS
        for view in ("changelist", "add", "change", "history", "delete", "simple_history")
    }
    redirects = {f"<admin/{label.replace('.', '/')}/<path:object_id>/>" for label in ADMIN_MODELS}
    posted = per_model | redirects | set(ADMIN_OTHER)

    keys = {route.key for route in urlwalk.admin_routes()}

    assert keys - posted == set()
    assert {"admin:register_car_simple_history", "<admin/register/car/<path:object_id>/>"} <= keys  # not vacuous


def test_every_write_table_entry_names_an_admin():
    assert set(ADMIN_WRITES) <= set(ADMIN_MODELS)
    assert set(ADMIN_OTHER_WRITERS) | SESSION_URLS <= set(ADMIN_OTHER)
    assert all(set(roles) <= {"organiser", "registrar"} for roles in ADMIN_WRITES.values())


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_model_admin_post_by_a_role_without_the_permission_changes_nothing(world, superuser_client, label):
    posts = _posts_for_model(world, label, superuser_client)
    clients = {role: world.client(role) for role in ROLES}  # logged in before the snapshot
    before = db_snapshot()
    changed = {}

    for view, path, data in posts:
        for role in ROLES:
            if _may_write(label, role, view):
                continue
            response = clients[role].post(path, data)
            after = db_snapshot()
            if after != before:
                changed[(view, data.get("action", ""), role)] = (response.status_code, changed_tables(before, after))
                before = after

    assert changed == {}


@pytest.mark.parametrize("key", sorted(set(ADMIN_OTHER) - SESSION_URLS))
def test_other_admin_url_post_by_a_role_without_the_permission_changes_nothing(world, superuser_client, key):
    clients = {role: world.client(role) for role in ROLES}
    posts = []
    for case in ADMIN_OTHER[key]:
        path = reverse_case(key, case, world)
        page = superuser_client.get(path)
        html = page.status_code == 200 and page["Content-Type"].startswith("text/html")
        posts.append((path, form_data(page.content.decode()) if html else {}))
    before = db_snapshot()
    changed = {}

    for path, data in posts:
        for role in ROLES:
            if role in ADMIN_OTHER_WRITERS.get(key, set()):
                continue
            response = clients[role].post(path, data)
            after = db_snapshot()
            if after != before:
                changed[(path, role)] = (response.status_code, changed_tables(before, after))
                before = after

    assert changed == {}


# The companion proof: the data the tests above post is accepted from a role that may write.
PERMITTED = [
    ("register.car", "change", "registrar"),
    ("register.car", "simple_history", "registrar"),  # a revert
    ("register.colour", "delete", "registrar"),
    ("register.registeredmodel", "change", "registrar"),
    ("axes.accessattempt", "delete", "registrar"),
    ("events.event", "change", "organiser"),
    ("events.session", "change", "organiser"),
]


@pytest.mark.parametrize(("label", "view", "role"), PERMITTED)
def test_admin_post_by_a_permitted_role_does_write(world, superuser_client, label, view, role):
    (path, data) = next((p, d) for v, p, d in _posts_for_model(world, label, superuser_client) if v == view)
    client = world.client(role)
    before = db_snapshot()

    response = client.post(path, data)

    assert response.status_code == 302, form_errors(response)
    assert db_snapshot() != before


def form_errors(response) -> str:
    context = response.context or {}
    for key in ("adminform", "form"):
        form = context.get(key)
        form = getattr(form, "form", form)
        if form is not None and getattr(form, "errors", None):
            return str(form.errors)
    return str(response.status_code)


def test_every_model_admin_with_history_has_its_history_form_in_the_matrix():
    # The revert URL is part of the walk above for every model admin with history.
    for model, model_admin in site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            label = model._meta.label_lower
            try:
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history", args=[1, 1])
            except NoReverseMatch:  # pragma: no cover - would mean the URL name changed
                pytest.fail(f"{label}: no history form URL")
            assert label in ADMIN_MODELS
    assert {route.key for route in urlwalk.admin_routes()} >= {
        "admin:register_car_simple_history",
        "admin:events_entry_simple_history",
    }
