from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vigisante.reports"
    label = "reports"
