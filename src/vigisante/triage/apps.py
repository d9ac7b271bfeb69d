from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "vigisante.triage"
    label = "triage"

    def ready(self) -> None:
        from vigisante.triage import access

        access.register()
        from vigisante.triage import signals  # noqa: F401 - connects the receivers
