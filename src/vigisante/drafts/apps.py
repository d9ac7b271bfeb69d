from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DraftsConfig(AppConfig):
    """Regulatory drafts built from a report (issue 13): GDPR, NIS2, complaint, insurer."""

    name = "vigisante.drafts"
    label = "drafts"
    verbose_name = _("Regulatory drafts")

    def ready(self) -> None:
        from vigisante.drafts import access, timeline

        access.register()
        timeline.register()
