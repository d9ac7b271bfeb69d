from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClocksConfig(AppConfig):
    name = "vigisante.clocks"
    label = "clocks"
    verbose_name = _("Regulatory clocks")

    def ready(self) -> None:
        from vigisante.clocks import services, timeline
        from vigisante.core import events

        timeline.register()
        events.subscribe("report.received", services.on_report_received)
        events.subscribe("report.updated", services.on_report_updated)
        events.subscribe("establishment.changed", services.on_establishment_changed)
