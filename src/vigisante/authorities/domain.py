"""Pure rules of the chain of authorities: who is told of a report, under which rule, and
the clock of the delay between the report's receipt and its transmission.

No ORM, no request, no clock: `now` is a parameter. See docs/authorities.md for the rules in
prose. The rule table (``RULES``) is the whole policy: one line per rule, each with the
authority it reaches and the condition on the report's facts.

- every report of an establishment goes to the regional health agency (ARS) of its region,
  except army hospitals, which go to the defence chain instead;
- every report goes to the ministry's defence and security official (HFDS);
- the health directorate (DGS) is told when patient care is affected or patients are in
  danger (potential or actual), and, once told, follows the report to its resolution.

A transmission is sent at each step of a report: its arrival, its qualification, a change of
severity or of impact on patients, its resolution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy

ARMY = "army"  # establishments.Category.ARMY_HOSPITAL


class Authority(models.TextChoices):
    ARS = "ars", gettext_lazy("Regional health agency (ARS)")
    HFDS = "hfds", gettext_lazy("Defence and security official (HFDS)")
    DGS = "dgs", gettext_lazy("Health directorate (DGS)")
    DEFENCE = "defence", gettext_lazy("Defence chain (army hospitals)")


#: Authorities whose scope is one region; the others are national.
REGIONAL = frozenset({Authority.ARS})


class Trigger(models.TextChoices):
    RECEIVED = "received", gettext_lazy("Report received")
    QUALIFIED = "qualified", gettext_lazy("Report qualified by the CERT")
    SEVERITY_CHANGED = "severity_changed", gettext_lazy("Severity changed")
    IMPACT_CHANGED = "impact_changed", gettext_lazy("Impact on patients changed")
    RESOLVED = "resolved", gettext_lazy("Incident resolved")


#: Triggers that happen once in a report's life: one transmission per authority at most.
ONCE = frozenset({Trigger.RECEIVED, Trigger.RESOLVED})


class Rule(models.TextChoices):
    ARS_REGION = "ars_region", gettext_lazy(
        "Every report of an establishment of the region goes to its ARS")
    HFDS_ALWAYS = "hfds_always", gettext_lazy("Every report goes to the HFDS")
    DGS_HEALTH_IMPACT = "dgs_health_impact", gettext_lazy(
        "Patient care affected or patients in danger: the DGS is informed")
    DGS_FOLLOW_UP = "dgs_follow_up", gettext_lazy(
        "The DGS was informed of this report: it follows it to its resolution")
    DEFENCE_ARMY = "defence_army", gettext_lazy(
        "Army hospitals go through the defence chain, not the ARS")


@dataclass(frozen=True)
class Facts:
    """What the rules read of a report and its establishment."""

    category: str
    region: str
    patient_care_affected: str = "unknown"  # yes / no / unknown
    patient_danger: str = ""  # "" / none / potential / actual
    #: (authority, region) pairs already sent a transmission about this report
    informed: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Recipient:
    authority: str
    region: str  # the ARS's region; "" for a national authority
    rule: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.authority, self.region)


def is_army(f: Facts) -> bool:
    return f.category == ARMY


def health_impact(f: Facts) -> bool:
    """Patient care affected, or patients in danger (potential or actual)."""
    return f.patient_care_affected == "yes" or f.patient_danger in ("potential", "actual")


@dataclass(frozen=True)
class RuleLine:
    rule: str
    authority: str
    regional: bool  # the recipient is the ARS of the establishment's region
    applies: Callable[[Facts], bool]


#: The whole policy, in order. A recipient reached by two lines is told once, under the first.
RULES: tuple[RuleLine, ...] = (
    RuleLine(Rule.ARS_REGION, Authority.ARS, True, lambda f: not is_army(f) and bool(f.region)),
    RuleLine(Rule.DEFENCE_ARMY, Authority.DEFENCE, False, is_army),
    RuleLine(Rule.HFDS_ALWAYS, Authority.HFDS, False, lambda f: True),
    RuleLine(Rule.DGS_HEALTH_IMPACT, Authority.DGS, False, health_impact),
    RuleLine(Rule.DGS_FOLLOW_UP, Authority.DGS, False,
             lambda f: (Authority.DGS.value, "") in f.informed),
)


def recipients(f: Facts) -> list[Recipient]:
    """The authorities to tell about the report now, each once, with the rule that applies."""
    out: dict[tuple[str, str], Recipient] = {}
    for line in RULES:
        if not line.applies(f):
            continue
        recipient = Recipient(line.authority, f.region if line.regional else "", line.rule)
        out.setdefault(recipient.key, recipient)
    return list(out.values())


def is_news(trigger: str, before: str | None = None, after: str | None = None) -> bool:
    """Whether an event is worth a transmission.

    A severity "change" from nothing is the first qualification (its own transmission
    carries the severity); a change to the same value is no change.
    """
    if trigger not in Trigger.values:
        return False
    if trigger == Trigger.SEVERITY_CHANGED:
        return bool(before) and bool(after) and before != after
    return True


def change_key(trigger: str, sequence: int | str | None) -> str:
    """The idempotency key of a transmission: one per trigger for what happens once
    (arrival, resolution), one per change (the report's or case's version) otherwise."""
    if trigger in ONCE or sequence in (None, ""):
        return str(trigger)
    return f"{trigger}:{sequence}"


# ---------------------------------------------------------------------------------------------
# The clock: receipt (or the change) -> transmission
# ---------------------------------------------------------------------------------------------

DUE, ON_TIME, LATE = "due", "done_on_time", "done_late"
HELD = "held"  # the clocks app's state of a clock held back on purpose (clocks.domain.HELD)
OVERDUE = "overdue"


def due_at(started_at: dt.datetime, target_minutes: int) -> dt.datetime:
    """The transmission's deadline: the target after the event that caused it."""
    if started_at.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return started_at + dt.timedelta(minutes=target_minutes)


def clock_state(due: dt.datetime, sent_at: dt.datetime | None) -> str:
    if sent_at is None:
        return DUE
    return ON_TIME if sent_at <= due else LATE


def part_state(state: str, due: dt.datetime, sent_at: dt.datetime | None) -> str:
    """The clock state of one transmission: held back, running, met on time or late."""
    if state == HELD:
        return HELD
    return clock_state(due, sent_at)


def step_state(parts: list[tuple[str, dt.datetime, dt.datetime | None]]
               ) -> tuple[str, dt.datetime | None]:
    """The clock of one step (arrival, qualification...) from its transmissions, each
    (state, due, sent_at) with state pending / held / sent: held while any is held back,
    running while any waits, otherwise met at the last sending (late if any was sent after
    its target). Returns (clock state, met at)."""
    if not parts:
        raise ValueError("a step has at least one transmission")
    states = [part_state(state, due, sent) for state, due, sent in parts]
    if HELD in states:
        return HELD, None
    if DUE in states:
        return DUE, None
    done = max(sent for _s, _d, sent in parts if sent is not None)
    return (LATE if LATE in states else ON_TIME), done


def reminder_kind(due: dt.datetime, sent_at: dt.datetime | None, now: dt.datetime,
                  before_minutes: tuple[int, ...] | list[int],
                  overdue_window: dt.timedelta) -> str | None:
    """The one reminder a transmission not sent yet calls for now, or None: the most urgent
    threshold reached ("before_15m"), or "overdue" once the target passed (for
    `overdue_window`: a worker back after a long stop does not flood the CERT)."""
    if sent_at is not None:
        return None
    left = due - now
    if left <= dt.timedelta(0):
        return OVERDUE if -left <= overdue_window else None
    reached = [m for m in before_minutes if m > 0 and left <= dt.timedelta(minutes=m)]
    return f"before_{min(reached)}m" if reached else None
