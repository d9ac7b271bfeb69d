"""How the case's audit codes read in a report's timeline (see vigisante.core.timeline).

The establishment sees what its report page already shows of the CERT's work: the state of
its report and the messages, signed "the CERT". Qualifications, assignments, internal notes,
supports and transition comments are the CERT's alone (docs/access.md).
"""

from __future__ import annotations

from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigisante.core import timeline
from vigisante.core.models import AuditEvent
from vigisante.core.taxonomy import rsit
from vigisante.core.timeline import CERT, ESTABLISHMENT, Entry, Reader
from vigisante.triage.models import Case

BOTH = (CERT, ESTABLISHMENT)
CASE = "triage.case"
QUALIFICATION = ("origin", "kind", "rsit_class", "rsit_type", "severity", "suggested_severity",
                 "attack_vector", "detection_source", "detection_stage", "ransomware_extent")


def _of_report(report_id: int) -> Q:
    cases = (Case.objects.filter(report_id=report_id)
             .annotate(text_id=Cast("pk", CharField())).values("text_id"))
    return Q(object_type=CASE, object_id__in=cases)


def _parts(event: AuditEvent) -> tuple[dict, dict]:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    return before, after


def _state_sentence(event: AuditEvent, reader: Reader, before: dict, after: dict) -> str:
    actor = reader.actor(event, cert_side=True)
    to = reader.value(CASE, "state", after.get("state"))
    if before.get("state") and reader.for_cert:
        return _("%(actor)s moved the case from “%(from)s” to “%(to)s”.") % {
            "actor": actor, "from": reader.value(CASE, "state", before.get("state")), "to": to}
    if reader.for_cert:
        return _("%(actor)s moved the case to “%(to)s”.") % {"actor": actor, "to": to}
    # The reporter's report is "complete"; only the CERT's case is "closed": say whose it is.
    return _("%(actor)s set its case to “%(to)s”.") % {"actor": actor, "to": to}


def _transition(event: AuditEvent, reader: Reader) -> Entry | None:
    before, after = _parts(event)
    if "state" not in after:
        if not reader.for_cert:
            return None
        return Entry(at=event.at, kind="state", sentence=_(
            "%(actor)s changed the case.") % {"actor": reader.actor(event)},
            changes=reader.changes(event, skip=("comment",)))
    entry = Entry(at=event.at, kind="state", sentence=_state_sentence(event, reader, before,
                                                                       after))
    if reader.for_cert:
        entry.text = after.get("comment") or ""
        entry.changes = reader.changes(event, only=("duplicate_of_id", "duplicate_of"))
    return entry


def _qualify(event: AuditEvent, reader: Reader) -> Entry | None:
    before, after = _parts(event)
    if not reader.for_cert:
        # The establishment sees the state its report moved to, not the qualification.
        if "state" not in after:
            return None
        return Entry(at=event.at, kind="state",
                     sentence=_state_sentence(event, reader, before, after))
    actor = reader.actor(event)
    again = bool(before.get("kind")) or (not after.get("kind") and bool(before))
    sentence = (_("%(actor)s requalified the case.") if again
                else _("%(actor)s qualified the case.")) % {"actor": actor}
    changes = reader.changes(event, only=("state", *QUALIFICATION))
    return Entry(at=event.at, kind="qualification", sentence=sentence, changes=changes,
                 text=after.get("comment") or "", internal=True)


def _assign(event: AuditEvent, reader: Reader) -> Entry:
    _before, after = _parts(event)
    actor = reader.actor(event)
    who = after.get("assigned_to_id", after.get("assigned_to"))
    if who in (None, ""):
        sentence = _("%(actor)s unassigned the case.") % {"actor": actor}
    elif who == event.actor_id:
        sentence = _("%(actor)s took the case.") % {"actor": actor}
    else:
        sentence = _("%(actor)s assigned the case to %(who)s.") % {
            "actor": actor, "who": reader.person(who)}
    return Entry(at=event.at, kind="assignment", sentence=sentence, internal=True)


def _note(event: AuditEvent, reader: Reader) -> Entry:
    return Entry(at=event.at, kind="note", internal=True,
                 text=(event.after or {}).get("text") or "",
                 sentence=_("%(actor)s wrote an internal note.") % {
                     "actor": reader.actor(event)})


def _message(event: AuditEvent, reader: Reader) -> Entry:
    actor = reader.actor(event, cert_side=True)
    sentence = (_("%(actor)s wrote to the establishment.") if reader.for_cert
                else _("%(actor)s wrote to you.")) % {"actor": actor}
    return Entry(at=event.at, kind="message", sentence=sentence,
                 text=(event.after or {}).get("text") or "")


def _reply(event: AuditEvent, reader: Reader) -> Entry:
    return Entry(at=event.at, kind="message", text=(event.after or {}).get("text") or "",
                 sentence=_("%(actor)s answered the CERT.") % {"actor": reader.actor(event)})


def _support(event: AuditEvent, reader: Reader) -> Entry:
    after = event.after if isinstance(event.after, dict) else {}
    kind = reader.value("triage.support", "type", after.get("type"))
    changes = reader.changes(event, model_label="triage.support",
                             only=("started_at", "ended_at", "out_of_hours"))
    return Entry(at=event.at, kind="support", internal=True, text=after.get("notes") or "",
                 changes=[c for c in changes if c.after != timeline.EMPTY],
                 sentence=_("%(actor)s recorded support given: %(type)s.") % {
                     "actor": reader.actor(event), "type": kind.lower()})


def _rsit_class(value: object) -> str:
    return rsit().label(str(value), "") or str(value)


def _rsit_type(value: object) -> str:
    labels = rsit().labels
    return next((v for k, v in labels.items() if k.endswith(f"/{value}")), str(value))


def register() -> None:
    timeline.relate(_of_report)
    timeline.register("case.transition", _transition, audiences=BOTH)
    timeline.register("case.qualify", _qualify, audiences=BOTH)
    timeline.register("case.assign", _assign, audiences=(CERT,))
    timeline.register("case.note", _note, audiences=(CERT,))
    timeline.register("case.message", _message, audiences=BOTH)
    timeline.register("case.reply", _reply, audiences=BOTH)
    timeline.register("case.support", _support, audiences=(CERT,))
    timeline.format_value(CASE, "rsit_class", _rsit_class)
    timeline.format_value(CASE, "rsit_type", _rsit_type)
    timeline.label_keys({(CASE, "suggested_severity"): gettext_lazy("Suggested severity"),
                         (CASE, "state"): gettext_lazy("State"),
                         ("triage.support", "started_at"): gettext_lazy("Start"),
                         ("triage.support", "ended_at"): gettext_lazy("End"),
                         ("triage.support", "out_of_hours"): gettext_lazy("Out of hours")})
