"""The TAXII 2.1 client side: poll the external collections of `Subscription` with
taxii2-client, and hand each page of objects to the CERT's incoming intelligence
(`vigisante.sharing.services.ingest_intel`, one bundle a page).

A poll asks for the objects added after the last `X-TAXII-Date-Added-Last` received, follows
`next` to the end, and remembers the header of each page as soon as that page is ingested: a
poll cut short starts again where it stopped. Errors (network, HTTP, a page the intake
refuses) are kept on the subscription (`last_error`), never raised into the worker.
"""

from __future__ import annotations

import functools
import uuid

import requests
from django.utils import timezone
from taxii2client.common import TokenAuth
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection as RemoteCollection

from vigisante.taxii.models import Subscription

PAGE = 1000
TIMEOUT = 30  # seconds per HTTP request
MAX_PAGES = 1000  # per poll


def remote_collection(sub: Subscription, responses: list | None = None) -> RemoteCollection:
    """taxii2-client's collection, with a timeout on every request; the HTTP responses are
    appended to `responses` (the client gives the JSON only, we need the headers too)."""
    if sub.token:
        remote = RemoteCollection(sub.collection_url, auth=TokenAuth(sub.token))
    elif sub.username:
        remote = RemoteCollection(sub.collection_url, user=sub.username,
                                  password=sub.password)
    else:
        remote = RemoteCollection(sub.collection_url)
    session = remote._conn.session
    session.request = functools.partial(session.request, timeout=TIMEOUT)
    if responses is not None:
        session.hooks["response"].append(lambda r, *args, **kwargs: responses.append(r))
    return remote


def _ingest(sub: Subscription, objects: list[dict]) -> None:
    from vigisante.sharing import services

    services.ingest_intel(source=f"TAXII: {sub.name}"[:200], fmt="stix", payload={
        "type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}, actor=None)


def poll(sub: Subscription) -> int:
    """Fetch what is new in the subscription's collection; the number of objects ingested."""
    received = 0
    try:
        responses: list = []
        with remote_collection(sub, responses) as remote:
            cursor, start = None, sub.added_after
            for _page in range(MAX_PAGES):
                kwargs: dict[str, object] = {"limit": PAGE}
                if start:
                    kwargs["added_after"] = start
                if cursor:
                    kwargs["next"] = cursor
                envelope = remote.get_objects(**kwargs) or {}
                objects = envelope.get("objects") or []
                if objects:
                    _ingest(sub, objects)
                    received += len(objects)
                last = responses[-1].headers.get("X-TAXII-Date-Added-Last")
                if last and objects:
                    sub.added_after = last[:40]
                sub.objects_received += len(objects)
                sub.last_error = ""
                sub.save(update_fields=["added_after", "objects_received", "last_error"])
                cursor = envelope.get("next")
                if not envelope.get("more") or not cursor:
                    break
    except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
        sub.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    except Exception as exc:  # noqa: BLE001 - the intake refused a page: say so, go on
        sub.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    sub.last_polled_at = timezone.now()
    sub.save(update_fields=["last_polled_at", "last_error"])
    return received


def due(now=None) -> list[Subscription]:
    now = now or timezone.now()
    out = []
    for sub in Subscription.objects.filter(enabled=True):
        if sub.last_polled_at is None or (
                now - sub.last_polled_at).total_seconds() >= sub.every_minutes * 60:
            out.append(sub)
    return out
