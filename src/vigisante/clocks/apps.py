from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClocksConfig(AppConfig):
    name = "vigisante.clocks"
    label = "clocks"
    verbose_name = _("Regulatory clocks")

    def ready(self) -> None:
        from vigisante.clocks import signals  # noqa: F401 - connects the receivers
