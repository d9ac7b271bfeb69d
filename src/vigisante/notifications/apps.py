from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "vigisante.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from vigisante.accounts.forms import read_email_language_with
        from vigisante.notifications.models import NotificationPreference

        read_email_language_with(lambda user: NotificationPreference.objects.filter(
            user=user).values_list("language", flat=True).first())
