"""`audit.record_past`: the history a loader writes (the demo's past) is chained like any
event, keeps the time each act happened, and refuses a time that is not in the past."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from vigisante.core import audit
from vigisante.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def test_past_events_are_chained_at_their_time(reporter_a, report_a):
    already = AuditEvent.objects.count()  # the report's own events
    audit.record(actor=None, action="test.before", object_type="t", object_id="0")
    then = timezone.now() - dt.timedelta(days=400)
    count = audit.record_past([
        {"at": then, "actor": reporter_a, "action": "test.old", "obj": report_a,
         "after": {"text": "déjà\x00", "n": 1.0}},
        {"at": then + dt.timedelta(hours=1), "actor": None, "action": "test.older",
         "object_type": "triage.case", "object_id": "7", "object_repr": "case of 7",
         "before": {"state": "received"}, "after": {"state": "acknowledged"}},
    ], batch=1)
    assert count == 2
    audit.record(actor=None, action="test.after", object_type="t", object_id="1")
    events = list(AuditEvent.objects.filter(action__startswith="test.").order_by("pk"))
    assert [e.action for e in events] == ["test.before", "test.old", "test.older", "test.after"]
    old = events[1]
    assert old.at == then and old.actor_id == reporter_a.pk
    assert old.actor_repr == reporter_a.email and old.object_id == str(report_a.pk)
    assert old.after == {"text": "déjà\ufffd", "n": 1}
    assert events[2].object_repr == "case of 7" and events[2].actor_repr == "system"
    assert AuditChainHead.objects.get().count == already + 4
    result = audit.verify()
    assert result.ok and result.checked == already + 4, result


@pytest.mark.parametrize("at", [
    timezone.now() + dt.timedelta(days=1),
    dt.datetime(2020, 1, 1, 12, 0),  # naive
    "2020-01-01T12:00:00Z",
])
def test_a_time_not_in_the_past_is_refused_and_nothing_is_written(at):
    with pytest.raises(ValueError):
        audit.record_past([
            {"at": timezone.now() - dt.timedelta(days=1), "actor": None, "action": "test.ok",
             "object_type": "t", "object_id": "1"},
            {"at": at, "actor": None, "action": "test.bad", "object_type": "t",
             "object_id": "2"}])
    assert not AuditEvent.objects.exists()
    assert audit.verify().ok
