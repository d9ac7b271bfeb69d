from django.apps import AppConfig


class EstablishmentsConfig(AppConfig):
    name = "vigisante.establishments"
    label = "establishments"
