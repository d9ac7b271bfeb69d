"""How the transmissions' audit codes read in a report's timeline (see
vigisante.core.timeline). The CERT's only: the establishment has no action on transmissions
(docs/access.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from vigisante.authorities.domain import Trigger
from vigisante.authorities.models import scope_label
from vigisante.core import timeline
from vigisante.core.models import AuditEvent
from vigisante.core.timeline import CERT, Entry, Reader


def _after(event: AuditEvent) -> dict:
    return event.after if isinstance(event.after, dict) else {}


def _trigger(value: object) -> str:
    return str(Trigger(value).label) if value in Trigger.values else _("an event")


def _decided(event: AuditEvent, reader: Reader) -> Entry:
    after = _after(event)
    to = ", ".join(scope_label(t.get("authority", ""), t.get("region", ""))
                   for t in after.get("to") or [] if isinstance(t, dict)) or "—"
    values = {"to": to, "trigger": _trigger(after.get("trigger")).lower()}
    sentence = (_("Transmission to %(to)s decided (%(trigger)s), held back by the CERT.")
                if after.get("held") else
                _("Transmission to %(to)s decided (%(trigger)s).")) % values
    return Entry(at=event.at, kind="transmission", sentence=sentence, internal=True)


def _sent(event: AuditEvent, reader: Reader) -> Entry:
    after = _after(event)
    values = {"to": scope_label(after.get("authority", ""), after.get("region", "")),
              "trigger": _trigger(after.get("trigger")).lower()}
    sentence = (_("Transmitted to %(to)s (%(trigger)s).") if after.get("on_time", True)
                else _("Transmitted to %(to)s (%(trigger)s), after its target time.")) % values
    return Entry(at=event.at, kind="transmission", sentence=sentence, internal=True)


def _held(event: AuditEvent, reader: Reader) -> Entry:
    return Entry(at=event.at, kind="transmission", internal=True,
                 text=_after(event).get("reason") or "",
                 sentence=_("%(actor)s held back the transmissions to the authorities.") % {
                     "actor": reader.actor(event)})


def _released(event: AuditEvent, reader: Reader) -> Entry:
    return Entry(at=event.at, kind="transmission", internal=True,
                 text=_after(event).get("note") or "",
                 sentence=_("%(actor)s released the transmissions to the authorities.") % {
                     "actor": reader.actor(event)})


def _read(event: AuditEvent, reader: Reader) -> Entry:
    return Entry(at=event.at, kind="transmission", internal=True,
                 sentence=_("%(actor)s (authority) read the transmission.") % {
                     "actor": reader.actor(event)})


def _message(event: AuditEvent, reader: Reader) -> Entry:
    after = _after(event)
    return Entry(at=event.at, kind="transmission", internal=True, text=after.get("text") or "",
                 sentence=_("%(actor)s wrote to %(to)s.") % {
                     "actor": reader.actor(event),
                     "to": scope_label(after.get("authority", ""), after.get("region", ""))})


def register() -> None:
    for action, describe in (("transmission.decided", _decided), ("transmission.sent", _sent),
                             ("transmission.held", _held), ("transmission.released", _released),
                             ("transmission.read", _read), ("transmission.message", _message)):
        timeline.register(action, describe, audiences=(CERT,))
