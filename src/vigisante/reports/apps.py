from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vigisante.reports"
    label = "reports"

    def ready(self) -> None:
        from vigisante.reports import access, timeline

        access.register()
        timeline.register()  # how its audit codes read in a report's timeline
