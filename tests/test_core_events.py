"""The domain event registry: declared names only, handlers run in order with the payload."""

from collections import defaultdict

import pytest

from vigisante.core import events


def test_emit_calls_each_subscriber_once_in_order_with_the_payload(monkeypatch):
    # the apps' own handlers (triage, clocks, indicators) are out of this test: no database
    monkeypatch.setattr(events, "_handlers", defaultdict(list))
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


@pytest.fixture
def recorded():
    """Every report event the services emit, in order, as (name, payload)."""
    seen: list[tuple[str, dict]] = []
    handlers = {}
    for name in events.EVENTS:
        if name.startswith("report."):
            handlers[name] = (lambda n: lambda **payload: seen.append((n, payload)))(name)
            events.subscribe(name, handlers[name])
    yield seen
    for name, handler in handlers.items():
        events.unsubscribe(name, handler)


@pytest.mark.django_db
def test_the_report_and_triage_services_emit_what_happened(recorded, reporter_a, analyst,
                                                           early_warning_data):
    from vigisante.reports import services as reports
    from vigisante.triage import services as triage

    report = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    assert recorded == [("report.received", {"report_id": report.pk})]

    recorded.clear()
    reports.save_notification(actor=reporter_a, report_id=report.pk,
                              data={"operations_impact": "stopped", "systems_hit": ["dpi"]})
    assert recorded == [("report.updated", {"report_id": report.pk, "stage": "notification"}),
                        ("report.impact_changed", {"report_id": report.pk})]

    recorded.clear()
    reports.save_notification(actor=reporter_a, report_id=report.pk,
                              data={"measures_taken": "Postes isolés."})
    assert recorded == [("report.updated", {"report_id": report.pk, "stage": "notification"})]

    recorded.clear()
    case = triage.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                          kind="ransomware")
    assert recorded == [
        ("report.state_changed", {"report_id": report.pk, "before": "received",
                                  "after": "qualified"}),
        ("report.severity_changed", {"report_id": report.pk, "before": "",
                                     "after": case.severity}),
        ("report.qualified", {"report_id": report.pk}),
    ]

    recorded.clear()
    triage.transition(actor=analyst, report_id=report.pk, to_state="resolved")
    assert recorded == [
        ("report.state_changed", {"report_id": report.pk, "before": "qualified",
                                  "after": "resolved"}),
        ("report.resolved", {"report_id": report.pk}),
    ]
