from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxiiConfig(AppConfig):
    name = "vigisante.taxii"
    label = "taxii"
    verbose_name = _("TAXII and feeds")

    def ready(self) -> None:
        from vigisante.taxii import access

        access.register()
