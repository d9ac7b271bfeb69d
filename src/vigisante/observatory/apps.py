from django.apps import AppConfig


class ObservatoryConfig(AppConfig):
    name = "vigisante.observatory"
    label = "observatory"
