"""Each user's choice of e-mails and their language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class NotificationPreference(models.Model):
    """One row per user who changed something; a user without one gets every e-mail in French.

    One boolean per event (see notifications.events.EVENTS) keeps the form and the query
    trivial; adding an event means adding a field and a migration.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    language = models.CharField(_("language of e-mails"), max_length=2,
                                choices=Language.choices, default=Language.FR)
    report_received = models.BooleanField(_("a report is received"), default=True)
    acknowledged = models.BooleanField(_("the CERT acknowledges a report"), default=True)
    message = models.BooleanField(_("a new message about a report"), default=True)
    assignment = models.BooleanField(_("a report is assigned to me"), default=True)
    clock_reminder = models.BooleanField(_("a regulatory deadline is near"), default=True)
    clock_overdue = models.BooleanField(_("a regulatory deadline has passed"), default=True)
    alert = models.BooleanField(_("the CERT sends an alert"), default=True)
    transmission = models.BooleanField(_("a report is transmitted to my authority"),
                                       default=True)
    transmission_reminder = models.BooleanField(_("a transmission to the authorities is late"),
                                                default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"

    def wants(self, event: str) -> bool:
        return bool(getattr(self, event, True))
