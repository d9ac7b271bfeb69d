"""The domain event registry: declared names only, handlers run in order with the payload."""

import pytest

from vigisante.core import events


def test_emit_calls_each_subscriber_once_in_order_with_the_payload():
    calls = []

    def first(**payload):
        calls.append(("first", payload))

    def second(**payload):
        calls.append(("second", payload))

    events.subscribe("report.received", first)
    events.subscribe("report.received", second)
    events.subscribe("report.received", first)  # twice: still once
    try:
        events.emit("report.received", report_id=7)
    finally:
        events.unsubscribe("report.received", first)
        events.unsubscribe("report.received", second)
    assert calls == [("first", {"report_id": 7}), ("second", {"report_id": 7})]
    assert first not in events.handlers("report.received")


def test_an_undeclared_event_is_refused():
    with pytest.raises(KeyError):
        events.emit("report.recieved", report_id=1)
    with pytest.raises(KeyError):
        events.subscribe("no.such.event", print)
