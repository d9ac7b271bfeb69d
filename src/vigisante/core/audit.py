"""Append events to the hash-chained audit trail, and verify the chain.

Each event's hash covers its content and the previous event's hash, so altering, deleting
or inserting an event breaks the chain from that point on. The chain head (one row: the last
hash and the number of events) catches events deleted or added at the end.

Appending takes a row lock on the head and holds it until the surrounding transaction
commits: events are chained in commit order and their ids increase along the chain (the id
is drawn after the lock is taken). Call `record` after the change's own row locks, so every
transaction takes its locks in the same order (rows, then the audit head).

Reads of case data, refusals and bad API tokens are many and come from anyone: they are
*journaled* (`journal`: one INSERT into AuditPending, no lock) and chained in batches by
`flush` (one lock of the head for up to 5,000 events), which the worker runs every second and
`audit verify` and `backup` run first. Until flushed, a journaled event is not yet covered by
the chain.

The hash input is canonical and identical on SQLite and PostgreSQL: timestamps in UTC with
microseconds, JSON with sorted keys, Decimal and dates as strings (DjangoJSONEncoder),
integral floats as integers and NaN/Infinity as strings (jsonb would renumber them), NUL
characters and lone surrogates replaced (PostgreSQL refuses them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from vigisante.core import bulk
from vigisante.core.models import AuditChainHead, AuditEvent, AuditPending

GENESIS = "0" * 64
_LIMITS = {"actor_repr": 254, "action": 50, "object_type": 100, "object_id": 64,
           "object_repr": 200}


def _parse_float(text: str) -> Any:
    number = float(text)
    return int(number) if number.is_integer() else number


def _clean_str(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_str(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean_str(k): _clean(v) for k, v in value.items()}
    return value


def _canonical(value: Any) -> Any:
    """The JSON form stored and hashed: what both databases give back unchanged."""
    # No sort_keys here: keys may mix types (7 and "7") until this turns them into text.
    text = json.dumps(value, cls=DjangoJSONEncoder)
    return _clean(json.loads(text, parse_float=_parse_float, parse_constant=str))


def _text(value: Any, name: str) -> str:
    return _clean_str(str(value if value is not None else ""))[: _LIMITS[name]]


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash of one event: its canonical JSON content chained to the previous hash."""
    payload = json.dumps(
        {"prev": prev_hash, **fields}, sort_keys=True, separators=(",", ":"),
        cls=DjangoJSONEncoder, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _at(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": _at(event.at),
        "actor": event.actor_id,
        "actor_repr": event.actor_repr,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "object_repr": event.object_repr,
        # Stored in canonical form by `record` (and read back unchanged by both databases);
        # anything else in the table was not written by `record`, and fails its hash.
        "before": event.before,
        "after": event.after,
    }


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-able dict of a model instance's concrete fields (for before/after)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"original"}:
            continue
        data[field.attname] = field.value_from_object(instance)
    return _canonical(data)


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Keep only the keys that changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _lock_head() -> AuditChainHead:
    try:
        return AuditChainHead.objects.select_for_update().get(id=1)
    except AuditChainHead.DoesNotExist:
        # Only on an empty, freshly flushed table; get_or_create settles a race on the
        # primary key (the loser waits for the winner's commit, then locks its row).
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        return head


def _event_kwargs(*, actor, action: str, obj: models.Model | None, object_type: str,
                  object_id: str, before: dict | None, after: dict | None) -> dict[str, Any]:
    return dict(
        at=timezone.now(),
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_repr=_text((getattr(actor, "email", "") or "system") if actor else "system",
                         "actor_repr"),
        action=_text(action, "action"),
        object_type=_text(object_type or (obj._meta.label_lower if obj is not None else ""),
                          "object_type"),
        object_id=_text(object_id or (obj.pk if obj is not None else ""), "object_id"),
        object_repr=_text(obj, "object_repr") if obj is not None else "",
        before=_canonical(before),
        after=_canonical(after),
    )


def record(
    *, actor, action: str, obj: models.Model | None = None, object_type: str = "",
    object_id: str = "", before: dict | None = None, after: dict | None = None,
) -> AuditEvent:
    """Append one event. Call inside the transaction that makes the change, at its end."""
    kwargs = _event_kwargs(actor=actor, action=action, obj=obj, object_type=object_type,
                           object_id=object_id, before=before, after=after)
    # Inside a transaction no savepoint is needed (an error aborts the whole transaction
    # anyway): two round trips fewer while the head is locked.
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        event = AuditEvent(**kwargs, prev_hash=head.last_hash)
        event.hash = event_hash(head.last_hash, _fields(event))
        event.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(last_hash=event.hash, count=head.count + 1)
    return event


def record_past(events: Iterable[dict[str, Any]], *, batch: int = 2000) -> int:
    """Append events that happened before now (a loader of history: the demo's synthetic
    past), in the order given, chained like any other, under one lock of the head.

    Each item holds the keyword arguments of `record` plus `at` (aware, not in the future)
    and, optionally, `object_repr` (when `obj` is not given). Call inside the transaction
    that writes the history. Returns how many were appended."""
    now = timezone.now()
    total = 0
    with transaction.atomic():  # all or nothing, also inside the caller's transaction
        head = _lock_head()
        prev = head.last_hash
        rows: list[AuditEvent] = []
        for item in events:
            at = item["at"]
            if not isinstance(at, dt.datetime) or timezone.is_naive(at) or at > now:
                raise ValueError(f"an event of the past needs an aware time before now: {at!r}")
            kwargs = _event_kwargs(
                actor=item.get("actor"), action=item["action"], obj=item.get("obj"),
                object_type=item.get("object_type", ""), object_id=item.get("object_id", ""),
                before=item.get("before"), after=item.get("after"))
            kwargs["at"] = at
            if item.get("object_repr"):
                kwargs["object_repr"] = _text(item["object_repr"], "object_repr")
            actor = kwargs.pop("actor")
            event = AuditEvent(**kwargs, actor_id=actor.pk if actor is not None else None,
                               prev_hash=prev)
            event.hash = prev = event_hash(prev, _fields(event))
            rows.append(event)
            if len(rows) >= batch:
                bulk.insert(AuditEvent, rows)
                total += len(rows)
                rows = []
        bulk.insert(AuditEvent, rows)
        total += len(rows)
        AuditChainHead.objects.filter(id=1).update(last_hash=prev, count=head.count + total)
    return total


def journal(
    *, actor, action: str, obj: models.Model | None = None, object_type: str = "",
    object_id: str = "", after: dict | None = None,
) -> None:
    """Journal one event without taking the chain lock (one INSERT); `flush` chains it.

    For events that change nothing and come in volume: reads of case data, refusals,
    bad credentials.
    """
    kwargs = _event_kwargs(actor=actor, action=action, obj=obj, object_type=object_type,
                           object_id=object_id, before=None, after=after)
    AuditPending.objects.create(**kwargs)


def flush(batch: int = 5000) -> int:
    """Chain the journaled events, oldest first, `batch` at a time; returns how many."""
    total = 0
    while True:
        with transaction.atomic():
            head = _lock_head()
            pending = list(AuditPending.objects.order_by("pk")[:batch])
            if not pending:
                return total
            prev = head.last_hash
            events = []
            for item in pending:
                event = AuditEvent(
                    at=item.at, actor_id=item.actor_id, actor_repr=item.actor_repr,
                    action=item.action, object_type=item.object_type,
                    object_id=item.object_id, object_repr=item.object_repr,
                    before=item.before, after=item.after, prev_hash=prev)
                event.hash = prev = event_hash(prev, _fields(event))
                events.append(event)
            AuditEvent.objects.bulk_create(events)
            # Exactly the rows chained (a row committed meanwhile waits for the next batch).
            AuditPending.objects.filter(pk__in=[item.pk for item in pending]).delete()
            AuditChainHead.objects.filter(id=1).update(last_hash=prev,
                                                       count=head.count + len(events))
        total += len(pending)
        if len(pending) < batch:
            return total


def pending_count() -> int:
    return AuditPending.objects.count()


def events_for(obj: models.Model):
    """The audit events of one object, oldest first (a report's history)."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk)).order_by("pk")


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------

ALTERED, DELETED, INSERTED = "altered", "deleted", "inserted"


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    kind: str = ""  # altered / deleted / inserted
    head_hash: str = GENESIS

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events, head {self.head_hash}"
        where = f"event #{self.first_bad_id}" if self.first_bad_id is not None else "chain"
        return f"audit chain BROKEN at {where} ({self.kind}): {self.problem}"


_COLUMNS = ("id", "at", "actor_id", "actor_repr", "action", "object_type", "object_id",
            "object_repr", "before", "after", "prev_hash", "hash")


def iter_rows(chunk: int = 5000, after_id: int = 0) -> Iterator[tuple]:
    """Stream the events as tuples (_COLUMNS) in id order, in bounded memory (keyset)."""
    last = after_id
    while True:
        batch = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk")
                     .values_list(*_COLUMNS)[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def _row_hash(row: tuple) -> str:
    _id, at, actor_id, actor_repr, action, otype, oid, orepr, before, after, prev, _h = row
    return event_hash(prev, {
        "at": _at(at), "actor": actor_id, "actor_repr": actor_repr, "action": action,
        "object_type": otype, "object_id": str(oid), "object_repr": orepr,
        "before": before, "after": after,
    })


class _Walk:
    """State of one pass over the chain."""

    def __init__(self) -> None:
        self.prev = GENESIS
        self.prev2: str | None = None
        self.prev_id: int | None = None
        self.checked = 0

    def step(self, row: tuple) -> VerifyResult | None:
        event_id, prev_hash, stored = row[0], row[10], row[11]
        if _row_hash(row) != stored:
            return self.fail(event_id, ALTERED, "its content no longer matches its hash")
        if prev_hash != self.prev:
            return self._broken_link(event_id, prev_hash)
        self.prev2, self.prev, self.prev_id = self.prev, stored, event_id
        self.checked += 1
        return None

    def _broken_link(self, event_id: int, prev_hash: str) -> VerifyResult:
        if self.prev2 is not None and prev_hash == self.prev2:
            return self.fail(self.prev_id, INSERTED,
                             f"it is not part of the chain: event #{event_id} links to the "
                             "event before it")
        if self.prev_id is None:
            return self.fail(event_id, DELETED,
                             "the event(s) before it, at the start of the chain, are missing")
        if event_id != self.prev_id + 1:
            return self.fail(event_id, DELETED,
                             f"the event(s) between #{self.prev_id} and it are missing")
        return self.fail(self.prev_id, ALTERED,
                         f"its content and hash were rewritten: event #{event_id} no longer "
                         "links to it")

    def fail(self, event_id: int | None, kind: str, problem: str) -> VerifyResult:
        return VerifyResult(False, self.checked, event_id, problem, kind, self.prev)


def _nth_event(n: int) -> tuple[int, str] | None:
    """(id, hash) of the n-th event (0-based) in id order; only on the failure path."""
    row = AuditEvent.objects.order_by("pk").values_list("pk", "hash")[n:n + 1]
    return next(iter(row), None)


def _head() -> tuple[int, str] | None:
    return AuditChainHead.objects.filter(id=1).values_list("count", "last_hash").first()


def verify(chunk: int = 5000) -> VerifyResult:
    """Walk the chain; report the first event altered, deleted or inserted.

    Streams in id order (keyset pagination, `chunk` rows at a time): memory stays bounded
    whatever the length. The chain head is read before and after the walk, so events
    appended while it runs are not mistaken for insertions.
    """
    start = _head()
    walk = _Walk()
    mark: tuple[int | None, str] | None = (None, GENESIS) if start and start[0] == 0 else None
    for row in iter_rows(chunk):
        failure = walk.step(row)
        if failure is not None:
            return failure
        if start is not None and walk.checked == start[0]:
            mark = (walk.prev_id, walk.prev)
    end = _head()
    if start is None:
        start = end
    if start is None or end is None:
        if walk.checked == 0:
            return VerifyResult(True, 0)
        return walk.fail(None, DELETED, "the chain head is missing")
    return _check_head(walk, start, mark, end)


def _check_head(walk: _Walk, start: tuple[int, str], mark: tuple[int | None, str] | None,
                end: tuple[int, str]) -> VerifyResult:
    count, last_hash = start
    if walk.checked < count:
        return walk.fail(walk.prev_id, DELETED,
                         f"the chain head counts {count} events but only {walk.checked} "
                         f"are there: the event(s) after #{walk.prev_id} were deleted")
    if mark is None or mark[1] != last_hash:
        where = mark[0] if mark else walk.prev_id
        return walk.fail(where, ALTERED, "it does not match the chain head: it was rewritten")
    if walk.checked > end[0]:
        extra = _nth_event(end[0])
        return walk.fail(extra[0] if extra else None, INSERTED,
                         f"it is beyond the chain head, which counts {end[0]} events")
    if walk.checked == end[0] and walk.prev != end[1]:
        return walk.fail(walk.prev_id, ALTERED,
                         "the last event does not match the chain head: it was rewritten")
    return VerifyResult(True, walk.checked, head_hash=walk.prev)
