"""Append events to the hash-chained audit trail, and verify the chain.

Each event's hash covers its content and the previous event's hash, so altering, deleting
or inserting an event breaks the chain from that point on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from vigisante.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash of one event: its canonical JSON content chained to the previous hash."""
    payload = json.dumps(
        {"prev": prev_hash, **fields}, sort_keys=True, separators=(",", ":"),
        cls=DjangoJSONEncoder, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    at = event.at
    if isinstance(at, dt.datetime):
        at = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return {
        "at": at,
        "actor": event.actor_id,
        "actor_repr": event.actor_repr,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "object_repr": event.object_repr,
        "before": _canonical(event.before),
        "after": _canonical(event.after),
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


def record(
    *, actor, action: str, obj: models.Model | None = None, object_type: str = "",
    object_id: str = "", before: dict | None = None, after: dict | None = None,
) -> AuditEvent:
    """Append one event. Call inside the transaction that makes the change."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if actor is not None and getattr(actor, "pk", None) else None,
            actor_repr=(getattr(actor, "email", "") or "system") if actor else "system",
            action=action,
            object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
            object_id=str(object_id or (obj.pk if obj is not None else "")),
            object_repr=str(obj)[:200] if obj is not None else "",
            before=_canonical(before),
            after=_canonical(after),
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(head.last_hash, _fields(event))
        event.save()
        head.last_hash = event.hash
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def iter_events(chunk: int = 5000) -> Iterator[AuditEvent]:
    """Stream the events in id order with bounded memory (keyset pagination)."""
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk")[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


def verify() -> VerifyResult:
    """Walk the chain; report the first event altered, deleted or inserted."""
    prev = GENESIS
    checked = 0
    for event in iter_events():
        if event.prev_hash != prev:
            return VerifyResult(False, checked, event.pk,
                                "previous-hash link broken (an event before it was deleted, "
                                "inserted or altered)")
        if event_hash(prev, _fields(event)) != event.hash:
            return VerifyResult(False, checked, event.pk, "content altered")
        prev = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.count != checked or head.last_hash != prev):
        return VerifyResult(False, checked, None,
                            f"chain head expects {head.count} events ending in "
                            f"{head.last_hash[:12]}; found {checked} ending in {prev[:12]} "
                            "(events at the end were deleted)")
    return VerifyResult(True, checked)
