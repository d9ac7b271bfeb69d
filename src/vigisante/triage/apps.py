from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "vigisante.triage"
    label = "triage"
