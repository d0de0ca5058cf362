from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "register"
    verbose_name = _("Register")

    def ready(self):
        from register import checks  # noqa: F401 (registers the checks)
