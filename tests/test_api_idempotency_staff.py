"""Idempotency-Key on the staff POST routes: triage (qualify, transition, assign, acknowledge,
notes, messages, support) and transmissions (read receipts, holds, releases). The same
mechanism as the reporter side (reports/idempotency.py): a retry with the same key and body
replays the first answer and writes nothing; the same key with another body is a 422."""

from __future__ import annotations

import threading

import pytest
from authorities_world import make_authority
from conftest import api_client_for
from django.db import connection, connections
from django.utils import translation

from vigisante.authorities import services as authorities
from vigisante.authorities.models import Transmission, TransmissionHold
from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.reports import services as reports
from vigisante.reports.models import IdempotencyKey
from vigisante.triage.models import Case, Message, Note, Qualification, Support, Transition

pytestmark = pytest.mark.django_db
TRIAGE = "/api/v1/triage/cases/"
REASON = "Judicial investigation: the DGS is told after the prosecutor agrees"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def report(reporter_a, early_warning_data):
    return reports.create_early_warning(actor=reporter_a, data=early_warning_data)


def written() -> dict[str, int]:
    """What a POST of these APIs may write, counted."""
    audit.flush()
    return {"notes": Note.objects.count(), "messages": Message.objects.count(),
            "supports": Support.objects.count(),
            "qualifications": Qualification.objects.count(),
            "transitions": Transition.objects.count(),
            "versions": sum(Case.objects.values_list("version", flat=True)),
            "holds": TransmissionHold.objects.count(),
            "released": TransmissionHold.objects.filter(released_at__isnull=False).count(),
            "audit": AuditEvent.objects.count()}


def reporter_side_refusal(reporter_a, report) -> dict:
    """What the reporter side answers for a key reused with another body (the reference)."""
    client = api_client_for(reporter_a)
    url = f"/api/v1/reports/{report.pk}/updates/"
    assert client.post(url, {"text": "one"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="ref").status_code == 201
    other = client.post(url, {"text": "two"}, format="json", HTTP_IDEMPOTENCY_KEY="ref")
    assert other.status_code == 422
    return other.json()


def assert_replayed(client, url: str, body: dict, other: dict, status: int, key: str,
                    reference: dict) -> None:
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == status, first.content
    assert "Idempotent-Replayed" not in first
    before = written()
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == status, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "ETag" not in again and "Location" not in again  # the first answer had neither
    assert written() == before, "a replay writes nothing"
    refused = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert refused.status_code == 422
    assert refused.json() == reference
    assert written() == before


TRIAGE_ROUTES = [
    ("qualify/", {"version": 1, "origin": "malicious", "kind": "ransomware",
                  "ransomware_extent": "several_servers"},
     {"version": 1, "origin": "malicious", "kind": "phishing"}, 200),
    ("transition/", {"version": 1, "to_state": "acknowledged"},
     {"version": 1, "to_state": "rejected", "comment": "spam"}, 200),
    ("assign/", {"version": 1, "assigned_to": None}, {"version": 1, "assigned_to": -1}, 200),
    ("notes/", {"text": "Called the CISO back"}, {"text": "Another note"}, 201),
    ("messages/", {"text": "We call you in ten minutes"}, {"text": "Another message"}, 201),
    ("support/", {"type": "remote_advice", "started_at": "2025-06-07T10:00:00Z"},
     {"type": "on_site", "started_at": "2025-06-07T10:00:00Z"}, 201),
]


@pytest.mark.parametrize(("route", "body", "other", "status"), TRIAGE_ROUTES,
                         ids=[r[0].strip("/") for r in TRIAGE_ROUTES])
def test_triage_posts_replay_the_first_answer(analyst, reporter_a, report, route, body, other,
                                              status):
    reference = reporter_side_refusal(reporter_a, report)
    if route == "assign/":
        body = {**body, "assigned_to": analyst.pk}
    assert_replayed(api_client_for(analyst), f"{TRIAGE}{report.pk}/{route}", body, other,
                    status, f"triage-{route}", reference)
    assert written()["notes"] == (1 if route == "notes/" else 0)
    assert written()["messages"] == (1 if route == "messages/" else 0)
    assert written()["supports"] == (1 if route == "support/" else 0)


def test_without_the_key_a_second_post_writes_again(analyst, report):
    """The contrast: what the key prevents."""
    client = api_client_for(analyst)
    for _ in range(2):
        assert client.post(f"{TRIAGE}{report.pk}/notes/", {"text": "twice"},
                           format="json").status_code == 201
    assert Note.objects.count() == 2 and not IdempotencyKey.objects.exists()
    body = {"version": 1, "to_state": "acknowledged"}
    assert client.post(f"{TRIAGE}{report.pk}/transition/", body,
                       format="json").status_code == 200
    assert client.post(f"{TRIAGE}{report.pk}/transition/", body,
                       format="json").status_code == 409  # a stale version, not a replay


def test_bulk_acknowledge_replays(analyst, reporter_a, report, early_warning_data):
    reference = reporter_side_refusal(reporter_a, report)
    other = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    assert_replayed(api_client_for(analyst), f"{TRIAGE}acknowledge/",
                    {"report_ids": [report.pk, other.pk]}, {"report_ids": [report.pk]},
                    200, "ack-1", reference)
    assert Transition.objects.filter(to_state="acknowledged").count() == 2


def test_a_refused_post_does_not_use_up_the_key(analyst, admin_user, report):
    """A 409 (stale version) or a 400 keeps nothing: the key is free for the corrected call."""
    api_client_for(admin_user).post(f"{TRIAGE}{report.pk}/transition/",
                                    {"version": 1, "to_state": "acknowledged"}, format="json")
    client = api_client_for(analyst)
    url = f"{TRIAGE}{report.pk}/qualify/"
    body = {"origin": "malicious", "kind": "ddos"}
    stale = client.post(url, {**body, "version": 1}, format="json", HTTP_IDEMPOTENCY_KEY="q")
    assert stale.status_code == 409
    bad = client.post(url, {**body, "version": 2, "kind": "nope"}, format="json",
                      HTTP_IDEMPOTENCY_KEY="q")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = client.post(url, {**body, "version": 2}, format="json", HTTP_IDEMPOTENCY_KEY="q")
    assert good.status_code == 200 and good.json()["kind"] == "ddos"
    assert IdempotencyKey.objects.get().status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent transactions need a real server (PostgreSQL)")
def test_concurrent_retries_add_one_message(transactional_db, analyst, reporter_a,
                                            early_warning_data):
    """Six copies of a message arrive together: one is sent, five replay its answer."""
    report = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    clients = [api_client_for(analyst) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def send(i: int) -> None:
        try:
            barrier.wait()
            results[i] = clients[i].post(f"{TRIAGE}{report.pk}/messages/",
                                         {"text": "We call you back"}, format="json",
                                         HTTP_IDEMPOTENCY_KEY="burst")
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [getattr(r, "status_code", r) for r in results] == [201] * len(clients)
    assert Message.objects.count() == 1
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in results) == len(clients) - 1


def test_a_malformed_key_is_refused_as_on_the_reporter_side(analyst, report):
    response = api_client_for(analyst).post(f"{TRIAGE}{report.pk}/notes/", {"text": "x"},
                                            format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not Note.objects.exists()


@pytest.fixture
def arrived(reporter_a, early_warning_data):
    """Care affected: the ARS of Île-de-France, the HFDS and the DGS are told."""
    make_authority("ars.idf@example.org", "ars", "IDF")
    make_authority("dgs@example.org", "dgs")
    return reports.create_early_warning(actor=reporter_a, data=early_warning_data)


def holds(report, *rest) -> str:
    return "/".join([f"/api/v1/reports/{report.pk}/transmission-holds", *map(str, rest), ""])


def test_holds_and_releases_replay_the_first_answer(analyst, reporter_a, arrived):
    reference = reporter_side_refusal(reporter_a, arrived)
    client = api_client_for(analyst)
    assert_replayed(client, holds(arrived), {"to": "dgs:", "reason": REASON},
                    {"to": "hfds:", "reason": REASON}, 201, "hold-1", reference)
    assert TransmissionHold.objects.count() == 1
    assert_replayed(client, holds(arrived), {"reason": "Every authority later"},
                    {"reason": "Something else"}, 201, "hold-all", reference)
    one, every = TransmissionHold.objects.order_by("pk")
    assert_replayed(client, holds(arrived, one.pk, "release"), {"note": "Agreed"},
                    {"note": "Other"}, 200, "release-1", reference)
    assert_replayed(client, holds(arrived, "release"), {"note": ""}, {"note": "x"}, 200,
                    "release-all", reference)
    assert TransmissionHold.objects.filter(released_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="transmission.released").count() == 2


def test_marking_read_replays_the_first_answer(arrived):
    authorities.deliver(report_id=arrived.pk)
    dgs = make_authority("dgs.reader@example.org", "dgs")
    t = Transmission.objects.get(report=arrived, authority="dgs")
    client = api_client_for(dgs)
    url = f"/api/v1/transmissions/{t.pk}/read/"
    first = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="read-1")
    assert first.status_code == 200 and first.json()["read_by"] == dgs.email
    again = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="read-1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = client.post(url, {"note": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="read-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()


def _posts(schema: dict, prefixes: tuple[str, ...]) -> dict[str, dict]:
    return {path: ops["post"] for path, ops in schema["paths"].items()
            if "post" in ops and path.startswith(prefixes)}


def test_the_schema_documents_the_header_on_every_staff_post(analyst):
    schema = api_client_for(analyst).get("/api/schema/?format=json").json()
    reporter = _posts(schema, ("/api/v1/reports/",))
    staff = _posts(schema, ("/api/v1/triage/", "/api/v1/transmissions/"))
    staff.update({p: op for p, op in reporter.items() if "transmission-holds" in p})
    assert len(staff) == 11, sorted(staff)  # 7 triage routes, read, hold, 2 releases
    header = next(p for p in reporter["/api/v1/reports/"]["parameters"]
                  if p["name"] == "Idempotency-Key")
    for path, op in staff.items():
        params = [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert params == [header], path
        assert "422" in op["responses"], path


def test_a_decorated_post_calling_another_claims_the_key_once(analyst):
    """A subclass's `post` calling a decorated `super().post` (or another decorated handler):
    the key is claimed by the outer one, the inner one just runs."""
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    from vigisante.reports.idempotency import idempotent, no_headers

    class Inner(APIView):
        @idempotent
        def post(self, request):
            return Response({"done": Note.objects.count()}, status=201)

    class Outer(Inner):
        @idempotent(replay_headers=no_headers)
        def post(self, request):
            return super().post(request)

    def send():
        request = APIRequestFactory().post("/x/", {"a": 1}, format="json",
                                           HTTP_IDEMPOTENCY_KEY="nested")
        force_authenticate(request, user=analyst)
        response = Outer.as_view()(request)
        response.render()
        return response

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get().status_code == 201
