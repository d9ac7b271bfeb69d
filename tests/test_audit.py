"""The audit trail: hash chain identical on both databases, `vigisante audit verify` names
the first event altered, deleted or inserted (rows tampered with raw SQL), and PostgreSQL
refuses UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

import datetime as dt
import decimal
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from vigisante.core import audit
from vigisante.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db
POSTGRES = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _record(n: int, start: int = 0) -> list[AuditEvent]:
    return [audit.record(actor=None, action="test.event", object_type="test.thing",
                         object_id=str(i), after={"i": i, "text": f"event {i}"})
            for i in range(start, start + n)]


def _sql(statement: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def attacker():
    """Raw SQL access as a superuser would have it: the protection triggers are disabled
    (inside the test's transaction, so they come back afterwards)."""
    if connection.vendor == "postgresql":
        _sql("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        _sql("ALTER TABLE core_auditchainhead DISABLE TRIGGER USER")
    return _sql


def _verify_command(capsys) -> tuple[int, str]:
    try:
        call_command("audit", "verify", "--chunk", "3")
    except SystemExit as exc:
        return exc.code, capsys.readouterr().err
    return 0, capsys.readouterr().out


# --- the chain -------------------------------------------------------------------------------

def test_intact_chain_verifies_across_chunk_boundaries(capsys):
    events = _record(10)
    result = audit.verify(chunk=3)
    assert result.ok and result.checked == 10 and result.head_hash == events[-1].hash
    code, out = _verify_command(capsys)
    assert code == 0 and "intact: 10 events" in out


def test_empty_trail_is_intact():
    assert audit.verify().ok


AWKWARD = {
    "decimal": decimal.Decimal("12.50"), "date": dt.date(2025, 3, 30),
    "when": dt.datetime(2025, 3, 30, 2, 30, 0, 123456, tzinfo=dt.UTC),
    "float_int": 1.0, "big_float": 1e20, "small": 1.5e-10, "nan": float("nan"),
    "z": {"b": 2, "a": [3, {"y": 1, "x": None}]}, "unicode": "Hôpital – été 🏥",
    "nul": "a\x00b", "surrogate": "x\ud800y", "bool": True, 7: "int key",
}


def test_awkward_values_hash_the_same_after_a_round_trip_through_the_database():
    event = audit.record(actor=None, action="test.awkward", object_type="t", object_id="1",
                         before=AWKWARD, after={"when": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.at == event.at and stored.at.microsecond == event.at.microsecond
    assert audit.event_hash(stored.prev_hash, audit._fields(stored)) == stored.hash
    assert stored.before["decimal"] == "12.50" and stored.before["date"] == "2025-03-30"
    assert stored.before["float_int"] == 1 and stored.before["big_float"] == 10 ** 20
    assert stored.before["nan"] == "NaN" and stored.before["nul"] == "a\ufffdb"
    assert stored.before["7"] == "int key"
    assert audit.verify().ok


def test_hash_is_a_fixed_function_of_the_content():
    """Known answer: the same bytes are hashed on every database and every machine."""
    fields = {"at": "2025-03-30T01:30:00.000001+00:00", "actor": 3, "actor_repr": "a@b.fr",
              "action": "report.create", "object_type": "reports.report", "object_id": "12",
              "object_repr": "VS-2025-00012", "before": None,
              "after": {"b": 1, "a": "été"}}
    # sha256 of the compact, key-sorted, UTF-8 JSON of {"prev": ..., **fields}
    assert audit.event_hash(audit.GENESIS, fields) == (
        "d6de8890a84665df18df55e85e28efe4e70c675efdba040a90e4448564eb05bc")
    reordered = dict(reversed(list(fields.items())))
    reordered["after"] = {"a": "été", "b": 1}
    assert audit.event_hash(audit.GENESIS, reordered) == audit.event_hash(audit.GENESIS, fields)


def test_long_or_odd_header_values_are_normalised():
    event = audit.record(actor=None, action="x" * 80, object_type="t", object_id="9" * 100)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert len(stored.action) == 50 and len(stored.object_id) == 64
    assert audit.verify().ok


# --- tampering, detected and named ---------------------------------------------------------

def test_altered_event_is_named(attacker, capsys):
    events = _record(6)
    attacker("UPDATE core_auditevent SET after = %s WHERE id = %s",
             ['{"i": 99, "text": "forged"}', events[3].pk])
    result = audit.verify()
    assert not result.ok
    assert (result.first_bad_id, result.kind) == (events[3].pk, "altered")
    code, err = _verify_command(capsys)
    assert code == 1 and f"event #{events[3].pk}" in err and "altered" in err


def test_altered_timestamp_is_detected(attacker):
    events = _record(3)
    attacker("UPDATE core_auditevent SET at = %s WHERE id = %s",
             [events[1].at + dt.timedelta(microseconds=1), events[1].pk])
    assert audit.verify().first_bad_id == events[1].pk


def test_altered_event_with_recomputed_hash_is_named(attacker):
    events = _record(5)
    target = AuditEvent.objects.get(pk=events[2].pk)
    target.action = "test.forged"
    new_hash = audit.event_hash(target.prev_hash, audit._fields(target))
    attacker("UPDATE core_auditevent SET action = %s, hash = %s WHERE id = %s",
             ["test.forged", new_hash, target.pk])
    result = audit.verify()
    assert (result.ok, result.first_bad_id, result.kind) == (False, events[2].pk, "altered")


def test_deleted_event_is_named(attacker, capsys):
    events = _record(6)
    attacker("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    result = audit.verify()
    assert (result.ok, result.kind) == (False, "deleted")
    assert result.first_bad_id == events[3].pk  # the first event whose predecessor is gone
    assert f"#{events[1].pk}" in result.problem
    code, err = _verify_command(capsys)
    assert code == 1 and "deleted" in err


def test_deleted_first_and_last_events(attacker):
    events = _record(4)
    attacker("DELETE FROM core_auditevent WHERE id = %s", [events[0].pk])
    result = audit.verify()
    assert (result.first_bad_id, result.kind) == (events[1].pk, "deleted")


def test_deleted_last_events_are_caught_by_the_chain_head(attacker):
    events = _record(5)
    attacker("DELETE FROM core_auditevent WHERE id >= %s", [events[3].pk])
    result = audit.verify()
    assert (result.ok, result.kind) == (False, "deleted")
    assert result.first_bad_id == events[2].pk and "after #" in result.problem


def _forge(prev: AuditEvent, new_id: int) -> None:
    forged = AuditEvent(id=new_id, at=prev.at, actor=None, actor_repr="system",
                        action="test.forged", object_type="test.thing", object_id="x",
                        object_repr="", before=None, after={"forged": True},
                        prev_hash=prev.hash)
    forged.hash = audit.event_hash(prev.hash, audit._fields(forged))
    _sql("INSERT INTO core_auditevent (id, at, actor_id, actor_repr, action, object_type, "
         "object_id, object_repr, before, after, prev_hash, hash) VALUES "
         "(%s, %s, NULL, %s, %s, %s, %s, %s, NULL, %s, %s, %s)",
         [new_id, prev.at, "system", "test.forged", "test.thing", "x", "",
          '{"forged": true}', prev.hash, forged.hash])


def test_inserted_event_is_named(attacker, capsys):
    events = _record(6)
    # make room in the ids after event 2 (ids are not hashed), then slip a forged event in
    attacker("UPDATE core_auditevent SET id = id + 1000 WHERE id > %s", [events[2].pk])
    _forge(AuditEvent.objects.get(pk=events[2].pk), events[2].pk + 1)
    result = audit.verify()
    assert (result.ok, result.first_bad_id, result.kind) == (False, events[2].pk + 1,
                                                             "inserted")
    code, err = _verify_command(capsys)
    assert code == 1 and f"event #{events[2].pk + 1}" in err and "inserted" in err


def test_inserted_event_at_the_end_is_named(attacker):
    events = _record(3)
    _forge(events[-1], events[-1].pk + 1)
    result = audit.verify()
    assert (result.ok, result.first_bad_id, result.kind) == (False, events[-1].pk + 1,
                                                             "inserted")


def test_missing_chain_head(attacker):
    _record(2)
    attacker("DELETE FROM core_auditchainhead")
    assert not audit.verify().ok


def test_verify_json_output(capsys):
    _record(2)
    call_command("audit", "verify", "--json")
    assert '"ok": true' in capsys.readouterr().out


# --- PostgreSQL refuses to rewrite history -------------------------------------------------

@POSTGRES
@pytest.mark.parametrize("statement", [
    "UPDATE core_auditevent SET action = 'x'",
    "DELETE FROM core_auditevent",
    "UPDATE core_auditevent SET action = 'x' WHERE id < 0",  # even touching nothing
    "DELETE FROM core_auditchainhead",
    "UPDATE core_auditchainhead SET count = 0",
])
def test_postgres_refuses_update_and_delete(statement):
    _record(2)
    with pytest.raises(DatabaseError, match="audit"), transaction.atomic():
        _sql(statement)
    assert audit.verify().ok


@POSTGRES
def test_postgres_refuses_truncate():
    _record(1)
    # the test database lets the runner TRUNCATE between tests (conftest); production not
    _sql("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_no_truncate")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == 1


@POSTGRES
def test_orm_update_is_refused_too():
    event = _record(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


# --- concurrency -----------------------------------------------------------------------------

@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_linear_chain():
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with transaction.atomic():
                    audit.record(actor=None, action="test.concurrent", object_type="t",
                                 object_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify()
    assert result.ok and result.checked == 60
    assert AuditChainHead.objects.get(id=1).count == 60
