from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    """What spans the apps. Last in INSTALLED_APPS: its ``post_migrate`` runs after every app's permissions exist."""

    name = "portal"

    def ready(self):
        post_migrate.connect(_roles_apply, sender=self, dispatch_uid="portal.roles_apply")
        # Erasure by the map when an account is deleted, after the other apps' receivers (Portal is last).
        from portal.privacy.erasure import erase_by_the_map
        from register.signals import account_closing

        account_closing.connect(erase_by_the_map, dispatch_uid="portal.erase_by_the_map")


def _roles_apply(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    from portal.roles import roles_apply

    roles_apply(using=using)
