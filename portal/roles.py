"""Staff roles: which group may do what. The one place that names a role's permissions.

Applied after every ``migrate`` (``portal.apps``, a ``post_migrate`` step, once every app's permissions exist):
each group is created if missing and given exactly these permissions, so a permission taken out here is taken
away from the group on the next deploy. Superusers need no group. Tests read ``ROLES`` too.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

ORGANISERS = "Organisers"
REGISTRARS = "Registrars"
TREASURERS = "Treasurers"

# (app_label, codename). Entries are never deleted (they are cancelled) and are created only by the sign-up
# service: organisers get neither add_entry nor delete_entry. Cars, owners and colours are read-only for them,
# and unlocking a login (deleting a django-axes access attempt) is the registrars' job. Both roles see the
# outbox's records and may send a failed email again (change_message: the "Send again" action).
# Treasurers handle the money: import statements, match and decide on credits, edit the saved CSV layouts, export
# refunds; they read events and entries but change neither (paying an entry goes through the payments services).
# Nothing is deleted: a statement's credits and the refunds are the books. Organisers who handle money are put in
# both groups.
ROLES: dict[str, frozenset[tuple[str, str]]] = {
    ORGANISERS: frozenset(
        {
            ("events", "add_event"),
            ("events", "change_event"),
            ("events", "view_event"),
            ("events", "add_session"),
            ("events", "change_session"),
            ("events", "view_session"),
            ("events", "change_entry"),
            ("events", "view_entry"),
            # The entries' history across entries (the admin's "Entry changes").
            ("events", "view_historicalentry"),
            # The gate's scans (check-ins, duplicates, refusals): read-only, written by the check-in services.
            ("events", "view_gatescan"),
            # The declarations: the draft is theirs to write and publish; versions and signatures are read-only.
            ("events", "add_declaration"),
            ("events", "change_declaration"),
            ("events", "view_declaration"),
            ("events", "view_declarationversion"),
            ("events", "view_declarationsignature"),
            ("register", "view_car"),
            ("register", "view_user"),
            ("register", "view_colour"),
            ("outbox", "view_message"),
            ("outbox", "change_message"),
        }
    ),
    REGISTRARS: frozenset(
        {
            ("register", "view_car"),
            ("register", "change_car"),
            ("register", "view_historicalcar"),
            ("register", "view_claim"),
            ("register", "change_claim"),
            ("register", "add_colour"),
            ("register", "change_colour"),
            ("register", "view_colour"),
            ("register", "delete_colour"),
            ("register", "add_market"),
            ("register", "change_market"),
            ("register", "view_market"),
            ("register", "delete_market"),
            ("register", "view_registeredmodel"),
            ("register", "change_registeredmodel"),
            ("register", "view_carphoto"),
            ("register", "change_carphoto"),
            ("register", "delete_carphoto"),
            ("register", "view_ownership"),
            ("register", "view_user"),
            # Car.Meta.permissions: the car admin's import and export.
            ("register", "import_car"),
            ("register", "export_car"),
            # VIN existence checks per account and address: registrars see the counters and may delete one (a reset).
            ("register", "view_vincheckcounter"),
            ("register", "delete_vincheckcounter"),
            ("axes", "view_accessattempt"),
            ("axes", "delete_accessattempt"),
            ("outbox", "view_message"),
            ("outbox", "change_message"),
            # A person's data for a request by letter (an export, an erasure: actions on the accounts), the
            # record of those requests and the retention job's runs (portal/privacy/).
            ("portal", "handle_personal_data"),
            ("portal", "view_datarequest"),
            ("portal", "view_retentionrun"),
        }
    ),
    TREASURERS: frozenset(
        {
            ("payments", "view_statement"),
            ("payments", "view_banktransaction"),
            ("payments", "change_banktransaction"),
            # BankTransaction.Meta.permissions: the statement import, matching by hand and the refund export.
            ("payments", "treasurer"),
            ("payments", "view_csvlayout"),
            ("payments", "add_csvlayout"),
            ("payments", "change_csvlayout"),
            ("payments", "view_refund"),
            ("payments", "change_refund"),
            ("events", "view_event"),
            ("events", "view_entry"),
        }
    ),
}


def roles_apply(*, using: str = "default") -> None:
    """Give each group in ``ROLES`` exactly its permissions, creating the group if needed.

    A permission that does not exist (a model renamed without updating this map) is an error, not a silent gap.
    """
    with transaction.atomic(using=using):
        for name, wanted in ROLES.items():
            group, _ = Group.objects.using(using).get_or_create(name=name)
            apps = {app_label for app_label, _ in wanted}
            found = {
                (permission.content_type.app_label, permission.codename): permission
                for permission in Permission.objects.using(using)
                .filter(content_type__app_label__in=apps)
                .select_related("content_type")
            }
            missing = wanted - found.keys()
            if missing:
                raise LookupError(f"Role {name!r} names permissions that do not exist: {sorted(missing)}")
            group.permissions.set([found[key] for key in wanted])
