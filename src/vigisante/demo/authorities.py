"""The chain of authorities in the demo: the authority accounts get their scope, and the
reports of the last days their transmissions (arrival, qualification, resolution), decided
by the real rule table and marked sent a minute after each step, as the worker would have.
One recent report's transmissions are held back by the demo analyst, with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from vigisante.demo.data import DemoData

SENT_AFTER = dt.timedelta(seconds=50)
HOLD_REASON = ("Enquête judiciaire : le parquet demande d'attendre avant d'informer "
               "(démo, fictif).")


def seed(data: DemoData, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    from django.db.models import F
    from django.utils import timezone

    from vigisante.accounts.models import User
    from vigisante.authorities import services
    from vigisante.authorities.models import AuthorityAccount, State, Transmission
    from vigisante.reports.models import Report

    scoped = [(a.email, a.scope) for a in data.accounts if a.scope is not None]
    users = dict(User.objects.filter(email__in=[email for email, _scope in scoped])
                 .values_list("email", "pk"))
    AuthorityAccount.objects.bulk_create([
        AuthorityAccount(user_id=users[email], authority=scope[0], region=scope[1])
        for email, scope in scoped])
    from vigisante.demo.reports import PARIS
    from vigisante.demo.targets import YEARS

    now = timezone.now()
    # the live reports of the last days: the historical ones belong to the published years
    live_from = dt.datetime(max(YEARS) + 1, 1, 1, tzinfo=PARIS)
    reports = list(Report.objects.filter(source="sector", created_at__gte=live_from)
                   .select_related("case").order_by("created_at", "pk"))
    for report in reports:
        case = getattr(report, "case", None)
        services.transmit(report_id=report.pk, trigger="received",
                          now=report.created_at + dt.timedelta(seconds=5))
        if case is not None and case.qualified_at:
            services.transmit(report_id=report.pk, trigger="qualified", now=case.qualified_at)
        if case is not None and case.state in ("resolved", "closed"):
            services.transmit(report_id=report.pk, trigger="resolved",
                              now=case.state_changed_at or now)
    # as the worker would have: sent (and e-mailed) a minute after each step
    Transmission.objects.filter(state=State.PENDING).update(
        state=State.SENT, sent_at=F("event_at") + SENT_AFTER,
        emailed_at=F("event_at") + SENT_AFTER, emails=1)
    held = _hold_one(data, reports)
    count = Transmission.objects.count()
    log(f"{count} transmissions to the authorities"
        f"{' (one report held back)' if held else ''}")
    return {"transmissions": count, "held": held}


def _hold_one(data: DemoData, reports: list) -> str | None:
    """Hold back the transmissions of the newest open report not yet qualified, and its
    next step: the case page shows the hold, the clock runs late."""
    from vigisante.accounts.models import User
    from vigisante.authorities import services
    from vigisante.authorities.models import State, Transmission

    analyst = User.objects.filter(email=data.analysts[0].email).first() if data.analysts \
        else None
    open_ = [r for r in reports if getattr(getattr(r, "case", None), "state", "") == "received"]
    if analyst is None or len(open_) < 2:
        return None
    report = open_[-2]  # not the very newest: that one is the demo's headline
    Transmission.objects.filter(report=report).update(state=State.PENDING, sent_at=None,
                                                      emailed_at=None, emails=0)
    services.hold(actor=analyst, report_id=report.pk, reason=HOLD_REASON)
    return report.reference
