from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClocksConfig(AppConfig):
    name = "vigisante.clocks"
    label = "clocks"
    verbose_name = _("Regulatory clocks")

    def ready(self) -> None:
        from vigisante.clocks import services
        from vigisante.core import events

        events.subscribe("report.received", services.on_report_received)
        events.subscribe("report.updated", services.on_report_updated)
        events.subscribe("establishment.changed", services.on_establishment_changed)
