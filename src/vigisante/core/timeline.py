"""A report's history as sentences in the reader's language: the audit trail, told.

The audit trail stores codes (`case.transition`), column names (`assigned_to_id`), Python
values and UTC instants: right for verification, unreadable for a person. This module turns
its events into timeline entries: one sentence each ("Marie Durand moved the case from
“Received” to “Qualified”."), in the active language, with field names as their labels,
values as their display labels (choices, Yes/No, dates in Europe/Paris) and the actor as the
reader may know them.

Each app says how its own audit codes read, from its `AppConfig.ready()`:

    timeline.register("case.note", describe_note, audiences=(timeline.CERT,))

A describer gets the event and a `Reader` (the audience, the people and objects the events
name, formatting helpers) and returns an `Entry`, or None to leave the event out for that
audience. **Deny by default**: an event is shown to the establishment only when its code was
registered for the ESTABLISHMENT audience; an unknown code (a future one) is shown to the CERT
as a generic sentence with its changes labelled, never as a raw code, and never to the
establishment. Reads (who opened a page) are hidden: they are in the audit trail, not in the
story of the incident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigisante.core.models import AuditEvent

PARIS = ZoneInfo("Europe/Paris")
CERT, ESTABLISHMENT = "cert", "establishment"
AUDIENCES = (CERT, ESTABLISHMENT)

#: How many events one timeline reads at most (the newest): a page stays fast whatever the
#: age of the case.
MAX_EVENTS = 300
#: Values longer than this are cut in the "before → after" of a change.
MAX_VALUE = 200
#: Columns that change with every write and tell the reader nothing.
VOLATILE = {"version", "updated_at", "updated_by", "updated_by_id", "state_changed_at",
            "qualified_at", "id"}

EMPTY = "—"


@dataclass
class Change:
    """One field of an event, labelled: "Severity: Significant → Major"."""

    label: str
    before: str
    after: str

    @property
    def added(self) -> bool:
        return self.before == EMPTY


@dataclass
class Entry:
    """One line of the timeline."""

    at: dt.datetime
    sentence: str
    kind: str = "other"          # a CSS hook: report, state, message, note, clock, ...
    text: str = ""               # a free text quoted under the sentence (message, update)
    changes: list[Change] = field(default_factory=list)
    internal: bool = False       # CERT only (notes, qualifications...): badged on the page
    key: str = ""                # unique and stable: "e123" (audit event), "u45" (update)
    order: int = 0               # ties at the same instant: the audit event's id
    action: str = ""             # the audit code told (empty for other sources)

    @property
    def at_paris(self) -> dt.datetime:
        return self.at.astimezone(PARIS)


Describer = Callable[[AuditEvent, "Reader"], "Entry | None"]


@dataclass(frozen=True)
class _Kind:
    describe: Describer
    audiences: frozenset[str]
    replaces_next: str = ""


_KINDS: dict[str, _Kind] = {}
_HIDDEN: set[str] = set()
_RELATED: list[Callable[[int], Q]] = []
#: (model label, field) -> formatter of a stored value, for values a field alone cannot label
#: (a JSON list of choices, a code of another vocabulary).
_VALUES: dict[tuple[str, str], Callable[[Any], str]] = {}


def register(action: str, describe: Describer, *, audiences: Iterable[str] = (CERT,)) -> None:
    """Say how the audit code `action` reads, and to whom it is shown."""
    wanted = frozenset(audiences)
    if not wanted or wanted - set(AUDIENCES):
        raise ValueError(f"audiences must be among {AUDIENCES}: {sorted(wanted)}")
    if action in _KINDS and _KINDS[action].describe is not describe:
        raise ValueError(f"the timeline of {action!r} is registered twice")
    _KINDS[action] = _Kind(describe, wanted)


def hide(*actions: str) -> None:
    """Codes that never appear in a timeline (reads, refusals)."""
    _HIDDEN.update(actions)


def relate(condition: Callable[[int], Q]) -> None:
    """Events of other objects that belong to a report's timeline: `condition(report_id)` is
    a condition on AuditEvent (a subquery, never a separate query)."""
    if condition not in _RELATED:
        _RELATED.append(condition)


def format_value(model_label: str, name: str, formatter: Callable[[Any], str]) -> None:
    """Label the values of one field of one model (`reports.report`, `systems_hit`)."""
    _VALUES[(model_label, name)] = formatter


def label_keys(labels: dict[Any, Any]) -> None:
    """Labels of keys an app's events carry that are not fields of their model."""
    LABELS.update(labels)


def registered(action: str, audience: str) -> bool:
    kind = _KINDS.get(action)
    return kind is not None and audience in kind.audiences


def shown_to(audience: str) -> list[str]:
    """The codes an audience may see (deny by default for the establishment)."""
    return sorted(a for a, k in _KINDS.items() if audience in k.audiences)


# ---------------------------------------------------------------------------------------------
# Reading events
# ---------------------------------------------------------------------------------------------

def events_of(report_id: int, *, audience: str, limit: int = MAX_EVENTS) -> list[AuditEvent]:
    """The newest `limit` events of a report and of the objects related to it (its case),
    oldest first, with their actors, in one query. The establishment's events are
    filtered in SQL to the codes it may see, so the limit counts only those."""
    where = Q(object_type="reports.report", object_id=str(report_id))
    for condition in _RELATED:
        where |= condition(report_id)
    qs = AuditEvent.objects.filter(where).select_related("actor").defer(
        "prev_hash", "hash", "object_repr")
    if audience == ESTABLISHMENT:
        qs = qs.filter(action__in=shown_to(ESTABLISHMENT))
    else:
        qs = qs.exclude(action__in=sorted(_HIDDEN))
    return list(reversed(qs.order_by("-id")[:limit]))


class Reader:
    """Who reads (audience), and what the events name, loaded once per timeline."""

    def __init__(self, audience: str, events: list[AuditEvent]) -> None:
        if audience not in AUDIENCES:
            raise ValueError(audience)
        self.audience = audience
        self.events = events
        self._objects: dict[str, dict[Any, str]] = {}
        self._wanted: dict[str, set[Any]] = {}
        for event in events:
            self._collect(event)

    @property
    def for_cert(self) -> bool:
        return self.audience == CERT

    # -- people ------------------------------------------------------------------------------

    def actor(self, event: AuditEvent, *, cert_side: bool = False) -> str:
        """The actor of an event as this reader may know them (see `who`)."""
        user = event.actor if event.actor_id else None
        if user is None and event.actor_repr in ("", "system"):
            return _("Vigisanté (automatic)")
        return self.who(user, cert_side=cert_side, fallback=event.actor_repr)

    def who(self, user: Any, *, cert_side: bool = False, fallback: str = "") -> str:
        """A person as this reader may know them. The establishment sees "the CERT" for
        every CERT member (never an analyst's name or address); the CERT sees names, and
        the establishment's people marked as such."""
        if user is None:
            if cert_side and not self.for_cert:
                return _("The CERT")
            return fallback if (self.for_cert and fallback) else _("A former user")
        staff = getattr(user, "is_cert_staff", False)
        if not self.for_cert and (staff or cert_side):
            return _("The CERT")
        name = str(user)
        if self.for_cert and not staff and getattr(user, "role", "") == "reporter":
            return _("%(name)s (establishment)") % {"name": name}
        return name

    def person(self, pk: Any) -> str:
        """A user named by id in a value (an assignee)."""
        if pk in (None, ""):
            return EMPTY
        if not self.for_cert:
            return _("the CERT")
        return self._named(get_user_model()._meta.label_lower).get(pk) or _("a former user")

    # -- values ------------------------------------------------------------------------------

    @staticmethod
    def when(value: Any) -> str:
        """An instant (or ISO text) as Paris time, in the language's one format."""
        at = _as_datetime(value)
        if at is None:
            return str(value) if value not in (None, "") else EMPTY
        try:
            local = at.astimezone(PARIS)
        except (OverflowError, ValueError):
            # text typed by someone that only looks like an instant out of range
            # ("0001-01-01T00:00" in a free-text field): shown as typed, never a 500
            return str(value)
        return formats.date_format(local, "DATETIME_FORMAT")

    @staticmethod
    def day(value: Any) -> str:
        d = value if isinstance(value, dt.date) else parse_date(str(value or ""))
        if d is None:
            return Reader.when(value)
        return formats.date_format(d, "DATE_FORMAT")

    def value(self, model_label: str, name: str, value: Any) -> str:
        """A stored value of a field as its user sees it."""
        if value is None or value == "" or value == []:
            return EMPTY
        custom = _VALUES.get((model_label, name))
        if custom is not None:
            return _cut(custom(value))
        f = _field(model_label, name)
        if f is None:
            return _cut(_plain(value))
        if f.is_relation and f.related_model is not None:
            if f.related_model is get_user_model():
                return self.person(value)
            return self._named(f.related_model._meta.label_lower).get(value) or EMPTY
        if f.flatchoices:
            labels = {k: v for k, v in f.flatchoices}
            return _cut(str(labels.get(value, value)))
        if isinstance(f, models.BooleanField):
            return _("Yes") if value else _("No")
        if isinstance(f, models.DateTimeField):
            return self.when(value)
        if isinstance(f, models.DateField):
            return self.day(value)
        return _cut(_plain(value))

    def label(self, model_label: str, name: str) -> str:
        """A field's verbose name, capitalised; a readable form of any other key."""
        text = name[:-3] if name.endswith("_id") else name
        labelled = LABELS.get((model_label, text)) or LABELS.get(text)
        if labelled is not None:
            return str(capfirst(str(labelled)))
        f = _field(model_label, name)
        if f is not None and getattr(f, "verbose_name", None):
            return str(capfirst(f.verbose_name))
        return str(capfirst(text.replace("_", " ").replace(".", " ").strip())) or EMPTY

    def changes(self, event: AuditEvent, *, model_label: str = "", skip: Iterable[str] = (),
                only: Iterable[str] | None = None) -> list[Change]:
        """The fields an event changed, labelled, in the order it recorded them."""
        model_label = model_label or event.object_type
        before = event.before if isinstance(event.before, dict) else {}
        after = event.after if isinstance(event.after, dict) else {}
        skipped = VOLATILE | set(skip)
        keys = [k for k in dict.fromkeys([*after, *before]) if k not in skipped]
        if only is not None:
            wanted = list(only)
            keys = [k for k in wanted if k in keys]
        out = []
        for key in keys:
            old = self.value(model_label, key, before.get(key))
            new = self.value(model_label, key, after.get(key))
            if old != new:
                out.append(Change(self.label(model_label, key), old, new))
        return out

    # -- loading what events name ---------------------------------------------------------------

    def _collect(self, event: AuditEvent) -> None:
        for part in (event.before, event.after):
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if value in (None, "") or not isinstance(value, int | str):
                    continue
                f = _field(event.object_type, key)
                if f is not None and f.is_relation and f.related_model is not None:
                    self._wanted.setdefault(f.related_model._meta.label_lower, set()).add(value)

    def load(self) -> Reader:
        """Kept for callers: objects are loaded when a sentence first names one."""
        return self

    def _named(self, label: str) -> dict[Any, str]:
        """The names of the objects of one model the events name: one query, the first time
        a sentence needs one (a timeline names few kinds: users, reports)."""
        if label not in self._objects:
            model = apps.get_model(label)
            ids = [i for i in self._wanted.get(label, ()) if str(i).isdigit()]
            rows: Any = model._default_manager.filter(pk__in=ids) if ids else []
            if ids and model is get_user_model():
                rows = rows.only("pk", "full_name", "email")
            self._objects[label] = {obj.pk: str(obj) for obj in rows}
        return self._objects[label]


#: Labels of keys that are not model fields (what an event adds to its changes), by key or
#: by (model label, key); apps add theirs with `label_keys`.
LABELS: dict[Any, Any] = {
    "comment": gettext_lazy("Comment"),
    "text": gettext_lazy("Text"),
    "reference": gettext_lazy("Reference"),
    "sent_at": gettext_lazy("Sent on"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "name": gettext_lazy("File"),
    "size": gettext_lazy("Size"),
}


def _field(model_label: str, name: str) -> Any:
    """The model field (or relation) an event's key names, None when none does."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        for f in model._meta.concrete_fields:
            if f.attname == name:
                return f
    return None


def _as_datetime(value: Any) -> dt.datetime | None:
    at: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        at = value
    elif isinstance(value, str):
        try:
            at = parse_datetime(value)
        except ValueError:
            at = None
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) or EMPTY
    at = _as_datetime(value) if isinstance(value, str) and len(value) >= 16 else None
    if at is not None:
        return Reader.when(value)  # the text itself: shown as typed when out of range
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# Telling
# ---------------------------------------------------------------------------------------------

def generic(event: AuditEvent, reader: Reader) -> Entry:
    """An event nobody described (a code added later): a plain sentence and its changes."""
    actor = reader.actor(event)
    changes = reader.changes(event)
    if changes:
        sentence = _("%(actor)s changed the record.") % {"actor": actor}
    else:
        sentence = _("%(actor)s recorded an action on the record.") % {"actor": actor}
    return Entry(at=event.at, sentence=sentence, changes=changes, internal=True)


def tell(events: list[AuditEvent], *, audience: str) -> list[Entry]:
    """The entries of loaded events, oldest first (describers may leave some out)."""
    reader = Reader(audience, events).load()
    out = []
    for event in events:
        if event.action in _HIDDEN:
            continue
        kind = _KINDS.get(event.action)
        if kind is None:
            if audience != CERT:
                continue  # deny by default
            entry: Entry | None = generic(event, reader)
        elif audience not in kind.audiences:
            continue
        else:
            try:
                entry = kind.describe(event, reader)
            except (KeyError, TypeError, ValueError, AttributeError):
                # An event of an older shape: told plainly rather than not at all.
                entry = generic(event, reader) if audience == CERT else None
        if entry is not None:
            entry.key = entry.key or f"e{event.pk}"
            entry.order = entry.order or event.pk
            entry.action = event.action
            out.append(entry)
    return out


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.at, e.order), reverse=True)
