"""Idempotency-Key on every POST of the API: retries replay the first answer, create nothing."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from conftest import api_client_for, make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone

from vigisante.reports import services
from vigisante.reports.models import Attachment, IdempotencyKey, Report, ReportUpdate

LIST = "/api/v1/reports/"


def payload(est, text="Ransomware on the imaging servers") -> dict:
    return {"establishment": est.pk, "description": text,
            "discovered_at": (timezone.now() - dt.timedelta(hours=1)).isoformat()}


@pytest.mark.django_db
def test_retry_replays_the_first_answer(reporter_a, est_a):
    client = api_client_for(reporter_a)
    body = payload(est_a)
    first = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    again = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert Report.objects.count() == 1
    # Key order and whitespace of the JSON do not make it a different request.
    reordered = dict(reversed(list(body.items())))
    third = client.post(LIST, reordered, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert third.status_code == 201 and third.json() == first.json()
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_same_key_different_body_is_422(reporter_a, est_a):
    client = api_client_for(reporter_a)
    assert client.post(LIST, payload(est_a), format="json",
                       HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    other = client.post(LIST, payload(est_a, "Something else"), format="json",
                        HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_same_key_on_another_route_is_422(reporter_a, est_a):
    client = api_client_for(reporter_a)
    first = client.post(LIST, payload(est_a), format="json", HTTP_IDEMPOTENCY_KEY="k")
    update = client.post(f"{first.json()['url']}updates/", {"text": "hello"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="k")
    assert update.status_code == 422
    assert ReportUpdate.objects.count() == 0


@pytest.mark.django_db
def test_keys_are_per_user(est_a):
    one = make_user("one@example.org", establishments=[est_a])
    two = make_user("two@example.org", establishments=[est_a])
    body = payload(est_a)
    r1 = api_client_for(one).post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    r2 = api_client_for(two).post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] != r2.json()["id"]
    assert Report.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_does_not_use_up_the_key(reporter_a, est_a):
    client = api_client_for(reporter_a)
    bad = client.post(LIST, {**payload(est_a), "discovered_at": "2999-01-01T00:00:00Z"},
                      format="json", HTTP_IDEMPOTENCY_KEY="fix-and-retry")
    assert bad.status_code == 400
    assert IdempotencyKey.objects.count() == 0
    good = client.post(LIST, payload(est_a), format="json", HTTP_IDEMPOTENCY_KEY="fix-and-retry")
    assert good.status_code == 201
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_404_does_not_use_up_the_key(reporter_b, reporter_a, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    response = api_client_for(reporter_b).post(f"/api/v1/reports/{report.pk}/updates/",
                                               {"text": "x"}, format="json",
                                               HTTP_IDEMPOTENCY_KEY="nope")
    assert response.status_code == 404
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_updates_and_attachments_are_idempotent(reporter_a, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    client = api_client_for(reporter_a)
    base = f"/api/v1/reports/{report.pk}/"
    answers = [client.post(f"{base}updates/", {"text": "Backups restored"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="u1") for _ in range(3)]
    assert {a.status_code for a in answers} == {201}
    assert answers[1].json() == answers[0].json() == answers[2].json()
    assert ReportUpdate.objects.count() == 1

    def upload(content=b"log line\n"):
        return client.post(f"{base}attachments/",
                           {"file": SimpleUploadedFile("fw.log", content)},
                           format="multipart", HTTP_IDEMPOTENCY_KEY="a1")

    first, second = upload(), upload()
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Attachment.objects.count() == 1
    changed = upload(b"other content\n")
    assert changed.status_code == 422
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_posts_without_a_key_are_not_deduplicated(reporter_a, est_a):
    client = api_client_for(reporter_a)
    for _ in range(2):
        assert client.post(LIST, payload(est_a), format="json").status_code == 201
    assert Report.objects.count() == 2
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent transactions need a real server (PostgreSQL)")
def test_concurrent_retries_create_one_report(transactional_db, reporter_a, est_a, monkeypatch):
    """Eight copies of a request arrive while the first is still being processed."""
    real = services.create_early_warning

    def slow_create(**kwargs):
        report = real(**kwargs)
        time.sleep(0.3)  # still inside the transaction: the others arrive meanwhile
        return report

    monkeypatch.setattr(services, "create_early_warning", slow_create)
    body = payload(est_a)
    clients = [api_client_for(reporter_a) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def send(i: int) -> None:
        try:
            barrier.wait()
            results[i] = clients[i].post(LIST, body, format="json",
                                         HTTP_IDEMPOTENCY_KEY="burst-1")
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, Exception) or r is None]
    assert not errors, errors
    assert [r.status_code for r in results] == [201] * len(clients), [r.content for r in results]
    assert Report.objects.count() == 1
    assert len({r.json()["reference"] for r in results}) == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in results) == len(clients) - 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent transactions need a real server (PostgreSQL)")
def test_concurrent_distinct_keys_all_create(transactional_db, reporter_a, est_a):
    body = payload(est_a)
    clients = [api_client_for(reporter_a) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def send(i: int) -> None:
        try:
            barrier.wait()
            results[i] = clients[i].post(LIST, body, format="json",
                                         HTTP_IDEMPOTENCY_KEY=f"distinct-{i}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.status_code for r in results] == [201] * len(clients)
    refs = [r.json()["reference"] for r in results]
    assert len(set(refs)) == len(clients)
    assert Report.objects.count() == len(clients)
