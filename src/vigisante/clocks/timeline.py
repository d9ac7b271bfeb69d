"""How the clocks' audit code reads in a report's timeline (see vigisante.core.timeline).

A clock changes state by itself (the report or the case changed): the sentence is impersonal,
and the establishment sees it, as it sees the clocks on its report page.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from vigisante.clocks import domain
from vigisante.clocks.domain import ClockState
from vigisante.core import timeline
from vigisante.core.models import AuditEvent
from vigisante.core.timeline import CERT, ESTABLISHMENT, Entry, Reader

CLOCK = "clocks.clock"


def _done(value: object, reader: Reader) -> str:
    """When the act was done: a day alone for acts recorded as dates (the CNIL notified,
    a complaint filed: midnight in Paris), never a made-up 00:00."""
    if not value:
        return ""
    at = timeline._as_datetime(value)
    if at is not None and at.astimezone(timeline.PARIS).time() == dt.time(0):
        return reader.day(at.astimezone(timeline.PARIS).date())
    return reader.when(value)


def _state_changed(event: AuditEvent, reader: Reader) -> Entry | None:
    after = event.after if isinstance(event.after, dict) else {}
    regime = reader.value(CLOCK, "regime", after.get("regime"))
    state = after.get("state")
    due = reader.when(after.get("due_at")) if after.get("due_at") else ""
    done = _done(after.get("done_at"), reader)
    reason = after.get("na_reason") or ""
    values = {"regime": regime, "due": due, "done": done}
    if state == ClockState.DUE and reason == domain.MAY_APPLY_PERSONAL_DATA:
        sentence = _("The deadline “%(regime)s” may apply: due %(due)s.") % values
    elif state == ClockState.DUE:
        sentence = (_("The deadline “%(regime)s” applies: due %(due)s.") if due
                    else _("The deadline “%(regime)s” applies.")) % values
    elif state == ClockState.DONE_ON_TIME:
        sentence = (_("The deadline “%(regime)s” was met (%(done)s).") if done
                    else _("The deadline “%(regime)s” was met.")) % values
    elif state == ClockState.DONE_LATE:
        sentence = (_("The deadline “%(regime)s” was met late (%(done)s).") if done
                    else _("The deadline “%(regime)s” was met late.")) % values
    elif state == ClockState.NOT_APPLICABLE:
        sentence = _("The deadline “%(regime)s” does not apply.") % values
        if reason:
            sentence += " " + _(reason)
    else:
        sentence = _("The deadline “%(regime)s” changed.") % values
    return Entry(at=event.at, kind="clock", sentence=sentence)


def register() -> None:
    timeline.register("clock.state_changed", _state_changed, audiences=(CERT, ESTABLISHMENT))
