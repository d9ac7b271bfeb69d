"""The chain of authorities in the demo: the authority accounts get their scope, and the
reports of the last days their transmissions (arrival, qualification, resolution), decided
by the real rule table and marked sent a minute after each step, as the worker would have.
The demo analyst holds back, with a reason, every transmission of one recent report ("hold
all") and, on another, only the DGS's while the ARS and the HFDS are informed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from vigisante.demo.data import DemoData

SENT_AFTER = dt.timedelta(seconds=50)
HOLD_REASON = ("Enquête judiciaire : le parquet demande d'attendre avant d'informer "
               "(démo, fictif).")
HOLD_ONE_REASON = ("DGS informée après confirmation de l'impact sur les patients par "
                   "l'établissement (démo, fictif).")
OPEN_STATES = ("received", "acknowledged", "qualified", "in_support")


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
    analyst = User.objects.filter(email=data.analysts[0].email).first() if data.analysts \
        else None
    held = _hold_all(analyst, reports)
    held_dgs = _hold_dgs(analyst, reports, held)
    count = Transmission.objects.count()
    log(f"{count} transmissions to the authorities"
        f"{' (one report held back)' if held else ''}"
        f"{' (the DGS held back on another)' if held_dgs else ''}")
    return {"transmissions": count, "held": held, "held_dgs": held_dgs}


def _state(report: Any) -> str:
    return getattr(getattr(report, "case", None), "state", "")


def _unsend(report: Any, **only: str) -> None:
    """The demo's transmissions were marked sent in bulk: put back as waiting those a hold
    keeps back (the hold then finds them pending, as on a real case)."""
    from vigisante.authorities.models import State, Transmission

    Transmission.objects.filter(report=report, **only).update(
        state=State.PENDING, sent_at=None, emailed_at=None, emails=0)


def _hold_all(analyst: Any, reports: list) -> str | None:
    """Hold back the transmissions of the newest open report not yet qualified, and its
    next step: the case page shows the hold, the clock runs late."""
    from vigisante.authorities import services

    open_ = [r for r in reports if _state(r) == "received"]
    if analyst is None or len(open_) < 2:
        return None
    report = open_[-2]  # not the very newest: that one is the demo's headline
    _unsend(report)
    services.hold(actor=analyst, report_id=report.pk, reason=HOLD_REASON)
    return report.reference


def _hold_dgs(analyst: Any, reports: list, held: str | None) -> str | None:
    """Hold back the DGS alone on the newest other open report that reaches it: the ARS
    and the HFDS were informed, the DGS's transmissions wait, with the reason."""
    from vigisante.authorities import services
    from vigisante.authorities.models import Transmission

    if analyst is None:
        return None
    reaching = set(Transmission.objects.filter(authority="dgs").values_list("report_id",
                                                                         flat=True))
    candidates = [r for r in reports if _state(r) in OPEN_STATES and r.pk in reaching
                  and r.reference != held]
    if not candidates:
        return None
    report = candidates[-1]
    _unsend(report, authority="dgs")
    services.hold(actor=analyst, report_id=report.pk, reason=HOLD_ONE_REASON, to="dgs:")
    return report.reference
