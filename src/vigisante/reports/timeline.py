"""How the reports' audit codes read in a timeline, and a report's whole timeline.

`report_timeline(report, audience=...)` is what both the establishment's report page and the
CERT's case page show: the report's audit trail and its related objects' (the case: registered
by triage), told by `vigisante.core.timeline`, with the timeline entries the establishment and
the CERT wrote (ReportUpdate rows, also those loaded without an audit event).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from vigisante.core import timeline
from vigisante.core.middleware import READS
from vigisante.core.models import AuditEvent
from vigisante.core.timeline import CERT, ESTABLISHMENT, Entry, Reader
from vigisante.reports.models import Channel, Report, System

BOTH = (CERT, ESTABLISHMENT)
REPORT = "reports.report"
#: Stage dates: the sentence says the stage was submitted; no need to list them as changes.
_STAGE_DATES = ("notification_at", "final_at", "stage")


def _created(event: AuditEvent, reader: Reader) -> Entry:
    after = event.after if isinstance(event.after, dict) else {}
    channel = after.get("channel") or Channel.WEB
    actor = reader.actor(event)
    if channel != Channel.WEB:
        sentence = _("%(actor)s recorded the report, received by %(channel)s.") % {
            "actor": actor, "channel": reader.value(REPORT, "channel", channel).lower()}
    else:
        sentence = _("%(actor)s filed the report (early warning).") % {"actor": actor}
    return Entry(at=event.at, sentence=sentence, kind="report")


def _stage(date_field: str, submitted: str, edited: str):
    def describe(event: AuditEvent, reader: Reader) -> Entry:
        before = event.before if isinstance(event.before, dict) else {}
        after = event.after if isinstance(event.after, dict) else {}
        done = after.get(date_field) and not before.get(date_field)
        template = submitted if done else edited
        return Entry(at=event.at, sentence=_(template) % {"actor": reader.actor(event)},
                     kind="report", changes=reader.changes(event, skip=_STAGE_DATES))
    return describe


def _attachment(event: AuditEvent, reader: Reader) -> Entry:
    name = (event.after or {}).get("name") or "?"
    return Entry(at=event.at, kind="file", sentence=_(
        "%(actor)s attached the file “%(name)s”.") % {"actor": reader.actor(event),
                                                      "name": name})


def _download(event: AuditEvent, reader: Reader) -> Entry:
    name = (event.after or {}).get("name") or "?"
    return Entry(at=event.at, kind="file", internal=True, sentence=_(
        "%(actor)s downloaded the file “%(name)s”.") % {"actor": reader.actor(event),
                                                        "name": name})


def _update_added(event: AuditEvent, reader: Reader) -> None:
    """Told from the ReportUpdate row itself (see `report_timeline`)."""
    return None


def _systems(value: Any) -> str:
    labels = dict(System.choices)
    items = value if isinstance(value, list) else [value]
    return ", ".join(str(labels.get(v, v)) for v in items) or timeline.EMPTY


def register() -> None:
    # Translated where used: marked here for the catalogue.
    submitted_n = gettext_noop("%(actor)s submitted the notification.")
    edited_n = gettext_noop("%(actor)s updated the notification.")
    submitted_f = gettext_noop("%(actor)s submitted the final report.")
    edited_f = gettext_noop("%(actor)s updated the final report.")
    timeline.register("report.create", _created, audiences=BOTH)
    timeline.register("report.notification", _stage("notification_at", submitted_n, edited_n),
                      audiences=BOTH)
    timeline.register("report.final", _stage("final_at", submitted_f, edited_f),
                      audiences=BOTH)
    timeline.register("report.attachment_added", _attachment, audiences=BOTH)
    timeline.register("report.update_added", _update_added, audiences=BOTH)
    timeline.register("attachment.download", _download, audiences=(CERT,))
    timeline.format_value(REPORT, "systems_hit", _systems)
    # Reads and refusals are in the audit trail, not in the story of the incident.
    timeline.hide(*{action for action, _type, _arg in READS.values()}, "access.denied")


def report_timeline(report: Report, *, audience: str, updates: list | None = None,
                    limit: int = timeline.MAX_EVENTS) -> list[Entry]:
    """The report's timeline for an audience, newest first.

    Queries: the events with their actors (one), the people and reports they name (one per
    kind, only when named), the timeline entries with their authors (one, unless `updates`
    is given).
    """
    events = timeline.events_of(report.pk, audience=audience, limit=limit)
    entries = timeline.tell(events, audience=audience)
    if updates is None:
        updates = list(report.updates.select_related("author"))
    reader = Reader(audience, [])
    for update in updates:
        entries.append(Entry(
            at=update.created_at, kind="update", text=update.text, key=f"u{update.pk}",
            sentence=_("%(actor)s added an entry to the timeline.") % {
                "actor": reader.who(update.author)}))
    if not any(e.action == "report.create" for e in events) and len(events) < limit:
        # Loaded without its audit event (imported, demo data): its reception still shows.
        entries.append(Entry(at=report.created_at, kind="report", key="received",
                             sentence=_("The report was received.")))
    return timeline.newest_first(entries)
