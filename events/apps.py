from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self):
        from events import checks, receivers  # noqa: F401 (the payment account's checks; events' part of register changes)

        # The roster cache's triggers follow events.rostercache.WATCHED after every migrate.
        post_migrate.connect(_roster_triggers_install, sender=self, dispatch_uid="events.roster_triggers_install")


def _roster_triggers_install(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    from events.rostercache import triggers_install

    triggers_install(using=using)
