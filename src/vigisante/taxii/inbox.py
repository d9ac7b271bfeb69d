"""Objects a trusted partner adds to an inbox collection: checked one by one, the valid ones
kept in the collection and handed, as one STIX bundle, to the CERT's incoming intelligence
(`vigisante.sharing.services.ingest_intel`) in the same transaction; a status resource says
what became of each."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from vigisante.core import audit
from vigisante.taxii import protocol, storage
from vigisante.taxii.models import Collection, Status, StatusState


def _ingest(objects: list[dict], user) -> int | None:
    from vigisante.sharing import services

    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    intel = services.ingest_intel(source=f"TAXII: {user.email}", fmt="stix", payload=bundle,
                                  actor=user)
    return getattr(intel, "pk", None)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)[:500]
    return str(exc)[:500]


def receive(collection: Collection, objects: list, *, user, requested_at) -> Status:
    failures, valid = [], []
    for obj in objects:
        problem = protocol.check_object(obj)
        if problem:
            ident = obj.get("id") if isinstance(obj, dict) else None
            ident = ident if isinstance(ident, str) else ""
            failures.append({"id": ident[:120], "message": problem})
        else:
            valid.append(obj)
    with transaction.atomic():
        return _receive(collection, objects, valid, failures, user, requested_at)


def _receive(collection, objects, valid, failures, user, requested_at) -> Status:
    successes: list[dict] = []
    intel_id = None
    if valid:
        try:
            with transaction.atomic():
                intel_id = _ingest(valid, user)
                for stix_id, version, _outcome in storage.store(collection, valid,
                                                                added_by=user):
                    successes.append({"id": stix_id, "version": version})
        except (ValidationError, ValueError, RecursionError) as exc:
            message = _message(exc)
            failures.extend({"id": o["id"], "message": message} for o in valid)
            successes = []
    status = Status.objects.create(
        collection=collection, user=user, request_timestamp=requested_at,
        status=StatusState.COMPLETE, total_count=len(objects),
        success_count=len(successes), failure_count=len(failures), pending_count=0,
        successes=successes, failures=failures, intel_id=intel_id)
    audit.record(actor=user, action="taxii.objects_added", obj=status, after={
        "collection": collection.alias, "total": len(objects), "added": len(successes),
        "failed": len(failures), "intel": intel_id})
    return status
