from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigisante.accounts"
    label = "accounts"

    def ready(self) -> None:
        from vigisante.accounts import access

        access.register()
        from vigisante.accounts import signals  # noqa: F401  (connects the login audit)
