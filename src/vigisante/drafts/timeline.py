"""How the drafts' audit codes read in a report's timeline (see vigisante.core.timeline).

A draft recorded as sent is told from its `drafts.sent` event, in the reader's language (no
copy of it is written among the report's updates: those are what its people wrote).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from vigisante.core import timeline
from vigisante.core.models import AuditEvent
from vigisante.core.timeline import CERT, ESTABLISHMENT, Change, Entry, Reader
from vigisante.drafts import facts
from vigisante.drafts.domain import KINDS

BOTH = (CERT, ESTABLISHMENT)
FACTS = "drafts.facts"  # the keys of a drafts.facts event: fact names, not model fields


def _sent(event: AuditEvent, reader: Reader) -> Entry:
    after = event.after if isinstance(event.after, dict) else {}
    kind = KINDS.get(after.get("draft") or "")
    values = {"actor": reader.actor(event), "at": reader.when(after.get("sent_at")),
              "draft": str(kind.title) if kind else _("a regulatory draft"),
              "recipient": str(kind.recipient) if kind else "?"}
    changes = []
    if after.get("reference"):
        changes.append(Change(_("Reference"), timeline.EMPTY, str(after["reference"])))
    return Entry(at=event.at, kind="draft", changes=changes, sentence=_(
        "%(actor)s recorded that “%(draft)s” was sent to %(recipient)s on %(at)s.") % values)


def _facts(event: AuditEvent, reader: Reader) -> Entry:
    changes = reader.changes(event, model_label=FACTS)
    return Entry(at=event.at, kind="draft", changes=changes, sentence=_(
        "%(actor)s completed the facts of the regulatory drafts.") % {
            "actor": reader.actor(event)})


def register() -> None:
    timeline.register("drafts.sent", _sent, audiences=BOTH)
    timeline.register("drafts.facts", _facts, audiences=BOTH)
    # Lazy labels: translated when a timeline is read, in its reader's language.
    timeline.label_keys({(FACTS, f.name): f.label for f in facts.FACTS.values()})
