"""The regulatory clocks of each report, and the log of the reminders sent about them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.clocks import domain
from vigisante.clocks.domain import ClockState, Regime

__all__ = ["Clock", "ClockReminder", "ClockState", "Regime"]


class Clock(models.Model):
    """One regime's deadline for one report; derived from the report by clocks.services."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="clocks",
                               verbose_name=_("report"))
    regime = models.CharField(_("regime"), max_length=30, choices=Regime.choices)
    recipient = models.CharField(_("recipient"), max_length=100)
    starts_at = models.DateTimeField(_("runs from"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ClockState.choices,
                             default=ClockState.DUE)
    na_reason = models.CharField(_("why not applicable"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("regulatory clock")
        verbose_name_plural = _("regulatory clocks")
        constraints = [
            models.UniqueConstraint(fields=["report", "regime"], name="unique_clock_per_regime"),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="clock_state_due_idx")]

    def __str__(self) -> str:
        return f"{self.regime} of report {self.report_id}"

    @property
    def order(self) -> int:
        return domain.REGIME_ORDER.index(domain.Regime(self.regime))

    def time_left(self, now: dt.datetime) -> dt.timedelta | None:
        return domain.time_left(self.state, self.due_at, now)

    def is_overdue(self, now: dt.datetime) -> bool:
        return domain.is_overdue(self.state, self.due_at, now)

    @property
    def how_to_close(self) -> str:
        return domain.HOW_TO_CLOSE.get(self.regime, "")

    @property
    def may_apply(self) -> bool:
        """Running, but only if a condition the establishment has not answered yet holds
        (the GDPR clock before the notification says whether personal data are involved)."""
        return self.state == ClockState.DUE and self.na_reason == domain.MAY_APPLY_PERSONAL_DATA

    @property
    def runs_from(self) -> str:
        """What the deadline runs from (a msgid). The NIS2 final report runs from the
        notification; before it is made, from the notification's deadline (its `starts_at`).
        The report is the one the clocks were read from (no query on a report page)."""
        if self.regime == domain.Regime.NIS2_FINAL and self.report.notification_at is None:
            return domain.RUNS_FROM_NOTIFICATION_DEADLINE
        return domain.RUNS_FROM.get(self.regime, "")


class ClockReminder(models.Model):
    """A reminder about one clock, claimed (inserted) before it is sent: sent at most once per
    (clock, kind) even with several workers; a failed or interrupted send is retried."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20)  # before_12h, before_2h, overdue
    claimed_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind"], name="unique_reminder_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder of clock {self.clock_id}"
