"""`{% clocks_panel report %}`: the regulatory deadlines of a report, for any report page.

`{% clocks_panel report viewer=user %}` adds the clocks other apps keep that the viewer may
see (the CERT's transmission to the authorities, on the case page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from vigisante.clocks import services
from vigisante.clocks.domain import DATED_REGIMES
from vigisante.clocks.models import ClockState

register = template.Library()


@register.inclusion_tag("clocks/_panel.html")
def clocks_panel(report, now=None, viewer=None) -> dict:
    now = now or timezone.now()
    rows, not_applicable = [], []
    others = services.other_clocks(report, viewer or None, now)
    every: list[Any] = [*services.clocks_for(report), *others]
    for clock in every:
        if clock.state == ClockState.NOT_APPLICABLE:
            not_applicable.append(clock)
            continue
        rows.append({"clock": clock, "left": clock.time_left(now),
                     "overdue": clock.is_overdue(now),
                     # closed by a date (CNIL notified on, complaint filed on): no hour to show
                     "done_day_only": clock.regime in DATED_REGIMES})
    return {"report": report, "rows": rows, "not_applicable": not_applicable, "now": now}
