"""The CERT's transmission to the authorities as a clock of the case page and the clocks API.

The clocks app shows, beside the regulatory clocks, those other apps keep: this provider is
registered from `AuthoritiesConfig.ready()` (clocks never imports authorities). One clock per
step of the report (its arrival, each qualification, change of severity or impact, its
resolution): due the target delay after the step (`VIGISANTE_TRANSMISSION_TARGET_MINUTES`),
running until every authority of the step was sent it, met at the last sending (late if one
went after the target), held while an analyst holds one back (with the reason). CERT staff
only: it is the CERT's obligation, not the establishment's; an authority sees when it was
informed on its own summary page and in `/api/v1/transmissions/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from vigisante.authorities import domain
from vigisante.authorities.models import State, Transmission
from vigisante.clocks.domain import ClockPart, ClockState, OtherClock
from vigisante.core import access
from vigisante.reports.models import Report

REGIME = "authority_transmission"


def state_label(state: str) -> str:
    return {ClockState.DUE: _("Running"), ClockState.DONE_ON_TIME: _("Done on time"),
            ClockState.DONE_LATE: _("Done late"), domain.HELD: _("Held back")}.get(state,
                                                                                 state)


def _part(t: Transmission) -> ClockPart:
    state = domain.part_state(t.state, t.due_at, t.sent_at)
    reason = t.hold.reason if t.state == State.HELD and t.hold is not None else ""
    return ClockPart(label=t.scope_label, state=state, state_label=state_label(state),
                     due_at=t.due_at, done_at=t.sent_at, held_reason=reason,
                     code=f"{t.authority}:{t.region}")


def step_clock(step: list[Transmission]) -> OtherClock:
    """The clock of one step from its transmissions (same key, same event)."""
    first = step[0]
    state, done_at = domain.step_state([(t.state, t.due_at, t.sent_at) for t in step])
    parts = tuple(_part(t) for t in step)
    held = [f"{p.label}: {p.held_reason}" for p in parts if p.held_reason]
    received = first.trigger == domain.Trigger.RECEIVED
    return OtherClock(
        regime=REGIME, regime_label=_("Transmission to the authorities"),
        subject=str(first.get_trigger_display()),
        recipient=", ".join(p.label for p in parts),
        starts_at=first.event_at, due_at=min(t.due_at for t in step), done_at=done_at,
        state=state, state_label=state_label(state),
        runs_from=_("from when the report was received") if received
        else _("from the change"),
        how_to_close=_("The worker sends it within seconds; if it is still running, check "
                       "that the worker is up (vigisante worker)."),
        held_reason="; ".join(held), parts=parts)


def transmission_clocks(report: Report, viewer: Any, now: dt.datetime) -> list[OtherClock]:
    """The report's transmission clocks, oldest step first, for CERT staff; nothing for
    anyone else (reporters: it is not their obligation; authorities: their summary page)."""
    if not access.allowed(viewer, "transmissions", report):
        return []
    steps: dict[str, list[Transmission]] = {}
    for t in (Transmission.objects.filter(report_id=report.pk).select_related("hold")
              .order_by("event_at", "pk")):
        steps.setdefault(t.key, []).append(t)
    return [step_clock(step) for step in steps.values()]
