"""Staff roles: portal/roles.py is applied after migrate, exactly, and says what each role may not do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from portal import roles
from portal.roles import ORGANISERS, REGISTRARS, ROLES, TREASURERS, roles_apply


def granted(name: str) -> set[tuple[str, str]]:
    return set(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", [ORGANISERS, REGISTRARS, TREASURERS])
def test_migrate_gives_each_group_exactly_its_roles_permissions(name):
    assert granted(name) == ROLES[name]


@pytest.mark.django_db
def test_roles_apply_takes_away_a_stray_permission_and_gives_back_a_missing_one():
    group = Group.objects.get(name=ORGANISERS)
    group.permissions.remove(Permission.objects.get(content_type__app_label="events", codename="view_entry"))
    group.permissions.add(Permission.objects.get(content_type__app_label="register", codename="delete_car"))

    roles_apply()
    roles_apply()

    assert granted(ORGANISERS) == ROLES[ORGANISERS]


@pytest.mark.django_db
def test_a_deleted_group_comes_back_with_the_next_migrate():
    Group.objects.filter(name=REGISTRARS).delete()

    call_command("migrate", verbosity=0)

    assert granted(REGISTRARS) == ROLES[REGISTRARS]


@pytest.mark.django_db
def test_a_role_naming_a_missing_permission_is_an_error_not_a_silent_gap(monkeypatch):
    monkeypatch.setitem(roles.ROLES, ORGANISERS, ROLES[ORGANISERS] | {("events", "fly_entry")})

    with pytest.raises(LookupError, match="fly_entry"):
        roles_apply()


def test_organisers_delete_nothing_and_create_no_entry():
    organisers = ROLES[ORGANISERS]

    # Entries are cancelled, never deleted, and only the sign-up service creates them.
    assert {codename for _, codename in organisers if codename.startswith("delete_")} == set()
    assert ("events", "add_entry") not in organisers
    # Cars and owners are read-only for organisers; unlocking a login is the registrars' job.
    forbidden = {("register", "change_car"), ("register", "change_user"), ("axes", "delete_accessattempt")}
    assert forbidden & organisers == set()


def test_registrars_leave_events_and_accounts_alone():
    registrars = ROLES[REGISTRARS]

    assert {app for app, _ in registrars if app == "events"} == set()
    assert {("register", "change_user"), ("register", "delete_user"), ("register", "delete_car")} & registrars == set()


def test_treasurers_delete_nothing_and_change_no_entry_or_event():
    treasurers = ROLES[TREASURERS]

    # Statements, credits and refunds are the books: nothing in them is deleted, and entries are paid through
    # the payments services, not edited.
    assert {codename for _, codename in treasurers if codename.startswith("delete_")} == set()
    assert {(app, codename) for app, codename in treasurers if app == "events"} == {
        ("events", "view_event"),
        ("events", "view_entry"),
    }
