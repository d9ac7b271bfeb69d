from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigisante.accounts"
    label = "accounts"
