from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthoritiesConfig(AppConfig):
    name = "vigisante.authorities"
    label = "authorities"
    verbose_name = _("Authorities (ARS, HFDS, DGS, defence)")

    def ready(self) -> None:
        from vigisante.authorities import access, services, timeline
        from vigisante.core import events

        access.register()
        timeline.register()
        for name, handler in services.HANDLERS.items():
            events.subscribe(name, handler)
