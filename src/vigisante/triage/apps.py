from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "vigisante.triage"
    label = "triage"

    def ready(self) -> None:
        from vigisante.clocks import services as clocks
        from vigisante.core import events
        from vigisante.triage import access, services, timeline

        access.register()
        timeline.register()
        events.subscribe("report.received", services.open_case)
        clocks.read_cases_with(services.read_case)  # clocks read the case, never import it
