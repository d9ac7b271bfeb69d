from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vigisante.core"
    label = "core"
