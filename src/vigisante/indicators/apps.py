from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "vigisante.indicators"
    label = "indicators"
    verbose_name = _("Indicators and campaigns")

    def ready(self) -> None:
        from vigisante.indicators import access, feed

        feed.register()  # the `receive` action: the feed, "are we affected?", check-logs
        access.register()  # the correlation rebuilds
