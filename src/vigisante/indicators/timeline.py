"""How the indicators' audit codes on a report read in its timeline (see
vigisante.core.timeline)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.core import timeline
from vigisante.core.models import AuditEvent
from vigisante.core.timeline import CERT, ESTABLISHMENT, Entry, Reader
from vigisante.indicators.models import IndicatorType


def _added(event: AuditEvent, reader: Reader) -> Entry:
    after = event.after if isinstance(event.after, dict) else {}
    kind = after.get("type") or ""
    label = str(IndicatorType(kind).label) if kind in IndicatorType.values else _("indicator")
    return Entry(at=event.at, kind="indicator", internal=True,
                 sentence=_("%(actor)s added an indicator (%(type)s): %(value)s") % {
                     "actor": reader.actor(event), "type": label.lower(),
                     "value": str(after.get("value") or "?")[:timeline.MAX_VALUE]})


def _match_reported(event: AuditEvent, reader: Reader) -> Entry:
    after = event.after if isinstance(event.after, dict) else {}
    n = len(after.get("indicators") or [])
    return Entry(at=event.at, kind="indicator", sentence=ngettext(
        "%(actor)s filed this report: %(n)d indicator shared by the CERT was found in the "
        "establishment's logs.",
        "%(actor)s filed this report: %(n)d indicators shared by the CERT were found in the "
        "establishment's logs.", n) % {"actor": reader.actor(event), "n": n})


def register() -> None:
    timeline.register("indicator.add", _added, audiences=(CERT,))
    timeline.register("indicators.match_reported", _match_reported,
                      audiences=(CERT, ESTABLISHMENT))
