from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "vigisante.sharing"
    label = "sharing"
    verbose_name = _("Alerts to establishments")

    def ready(self) -> None:
        from vigisante.sharing import access

        access.register()
