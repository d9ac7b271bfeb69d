from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vigisante.reports"
    label = "reports"

    def ready(self) -> None:
        from vigisante.reports import access

        access.register()
