from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DraftsConfig(AppConfig):
    """Regulatory drafts built from a report (issue 13): GDPR, NIS2, complaint, insurer."""

    name = "vigisante.drafts"
    label = "drafts"
    verbose_name = _("Regulatory drafts")

    def ready(self) -> None:
        from vigisante.clocks import services as clocks
        from vigisante.drafts import access, services, timeline

        access.register()
        timeline.register()
        # The NIS2 stages recorded as sent close their clocks: clocks read them, never import us.
        clocks.read_sendings_with(services.sendings)
