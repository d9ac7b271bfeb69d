from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo generator: synthetic data for every feature app, so it stands above them all
    (it imports them; nothing imports it)."""

    name = "vigisante.demo"
    label = "demo"
