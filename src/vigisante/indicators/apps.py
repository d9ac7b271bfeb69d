from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "vigisante.indicators"
    label = "indicators"
    verbose_name = _("Indicators and campaigns")

    def ready(self) -> None:
        from vigisante.core import events
        from vigisante.indicators import access, feed, services, timeline

        feed.register()  # the `receive` action: the feed, "are we affected?", check-logs
        access.register()  # the correlation rebuilds
        timeline.register()
        # A report's texts arrive or change: extract and correlate them in the worker. A
        # qualification sets the kind that links reports hit on the same system: again.
        for name in ("report.received", "report.updated", "report.qualified"):
            events.subscribe(name, services.on_report_event)
