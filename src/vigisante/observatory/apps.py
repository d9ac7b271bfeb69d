from django.apps import AppConfig


class ObservatoryConfig(AppConfig):
    name = "vigisante.observatory"
    label = "observatory"

    def ready(self) -> None:
        from vigisante.observatory import access

        access.register()
