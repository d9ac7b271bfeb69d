from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigisante.accounts"
    label = "accounts"

    def ready(self) -> None:
        from vigisante.accounts import access

        access.register()
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from vigisante.accounts import signals  # noqa: F401  (connects the login audit)
        from vigisante.core import crypto

        # The second-factor secrets are stored encrypted (docs/security.md).
        crypto.encrypt_column(TOTPDevice, "key", purpose=b"totp")
