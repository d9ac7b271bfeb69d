from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxiiConfig(AppConfig):
    name = "vigisante.taxii"
    label = "taxii"
    verbose_name = _("TAXII and feeds")

    def ready(self) -> None:
        from vigisante.core import events
        from vigisante.taxii import access, tasks

        access.register()
        # What changes what is published: bring the collections up to date in the worker.
        for name in ("alert.sent", "intel.accepted", "indicator.reviewed",
                     "indicator.noisy", "campaign.changed"):
            events.subscribe(name, tasks.publication_needed)
