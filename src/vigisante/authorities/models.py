"""Authority accounts and their scope, the transmissions each authority gets about reports,
holds put on them by the CERT, reminders, and the CERT's messages to an authority."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vigisante.authorities.domain import Authority, Rule, Trigger
from vigisante.core.access import RestrictedQuerySet
from vigisante.establishments.regions import REGIONS

REGION_CHOICES = sorted(REGIONS.items(), key=lambda kv: kv[1])


class AuthorityAccount(models.Model):
    """The scope of a user of role "authority": one ARS (a region), the HFDS, the DGS or the
    defence chain. Managed by administrators (Django admin)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="authority_account", verbose_name=_("user"))
    authority = models.CharField(_("authority"), max_length=10, choices=Authority.choices)
    region = models.CharField(_("region"), max_length=3, choices=REGION_CHOICES, blank=True,
                              help_text=_("Only for a regional health agency (ARS)."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authority account")
        verbose_name_plural = _("authority accounts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(authority="ars") & ~Q(region=""))
                | (~Q(authority="ars") & Q(region="")),
                name="authority_account_region_iff_ars"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.scope_label})"

    @property
    def scope(self) -> tuple[str, str]:
        return (self.authority, self.region)

    @property
    def scope_label(self) -> str:
        return scope_label(self.authority, self.region)


def scope_label(authority: str, region: str) -> str:
    label = str(Authority(authority).label) if authority in Authority.values else authority
    return f"{label} — {REGIONS.get(region, region)}" if region else label


class State(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    HELD = "held", _("Held back by the CERT")
    SENT = "sent", _("Sent")


class TransmissionHold(models.Model):
    """An analyst holds back transmissions of a report, for a stated reason, until released:
    those to one authority (`authority`, `region`), or to every authority (both blank,
    "hold all"). Transmissions to that scope decided while the hold lasts are held too;
    nothing is silent: the hold is on the case page, in the API, in the audit trail, and the
    clock keeps running."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="transmission_holds")
    #: the authority held back; blank: every authority of the report
    authority = models.CharField(_("authority"), max_length=10, choices=Authority.choices,
                                 blank=True)
    region = models.CharField(_("region"), max_length=3, choices=REGION_CHOICES, blank=True)
    reason = models.TextField(_("reason"), max_length=2000)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, related_name="+", verbose_name=_("held by"))
    held_at = models.DateTimeField(_("held at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("released by"))
    release_note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["held_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "authority", "region"],
                                    condition=Q(released_at__isnull=True),
                                    name="one_active_transmission_hold_per_scope"),
        ]

    @property
    def active(self) -> bool:
        return self.released_at is None

    @property
    def is_all(self) -> bool:
        """Holds every authority of the report."""
        return not self.authority

    @property
    def scope(self) -> tuple[str, str]:
        return (self.authority, self.region)

    @property
    def scope_label(self) -> str:
        return str(_("every authority")) if self.is_all else scope_label(self.authority,
                                                                            self.region)

    def covers(self, authority: str, region: str) -> bool:
        return self.is_all or (self.authority, self.region) == (authority, region)


class TransmissionQuerySet(RestrictedQuerySet):
    def sent(self) -> TransmissionQuerySet:
        return self.filter(state=State.SENT)


class Transmission(models.Model):
    """One authority told about one step of one report: who, what, when, under which rule."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="transmissions", verbose_name=_("report"))
    authority = models.CharField(_("authority"), max_length=10, choices=Authority.choices)
    region = models.CharField(_("region"), max_length=3, choices=REGION_CHOICES, blank=True)
    trigger = models.CharField(_("what happened"), max_length=20, choices=Trigger.choices)
    rule = models.CharField(_("rule"), max_length=30, choices=Rule.choices)
    key = models.CharField(max_length=60, editable=False)
    event_at = models.DateTimeField(_("event at"))
    due_at = models.DateTimeField(_("to send by"))
    created_at = models.DateTimeField(_("decided at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    hold = models.ForeignKey(TransmissionHold, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="transmissions")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    emails = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("read by"))
    #: the need-to-know summary as it stood when the transmission was decided
    summary = models.JSONField(default=dict)

    objects = TransmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-event_at", "-id"]
        verbose_name = _("transmission")
        verbose_name_plural = _("transmissions")
        constraints = [
            models.UniqueConstraint(fields=["report", "authority", "region", "key"],
                                    name="unique_transmission"),
        ]
        indexes = [
            models.Index(fields=["authority", "region", "state"], name="transmission_scope"),
            models.Index(fields=["state", "due_at"], name="transmission_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} of {self.report_id} to {self.authority} {self.region}".strip()

    @property
    def scope_label(self) -> str:
        return scope_label(self.authority, self.region)


class TransmissionReminder(models.Model):
    """A reminder to the CERT about a transmission not sent yet, claimed (inserted) before
    it is sent: once per (transmission, kind), even with several workers."""

    transmission = models.ForeignKey(Transmission, on_delete=models.CASCADE,
                                     related_name="reminders")
    kind = models.CharField(max_length=20)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transmission", "kind"],
                                    name="unique_transmission_reminder"),
        ]


class AuthorityMessage(models.Model):
    """A message of the CERT to one authority about one report (never shown to the
    establishment, nor to another authority)."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="authority_messages")
    authority = models.CharField(_("authority"), max_length=10, choices=Authority.choices)
    region = models.CharField(_("region"), max_length=3, choices=REGION_CHOICES, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    at = models.DateTimeField()
    text = models.TextField(_("message"), max_length=5000)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    @property
    def scope_label(self) -> str:
        return scope_label(self.authority, self.region)
