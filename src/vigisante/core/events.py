"""Domain events: an app says what happened; the apps above it react, without a cycle.

The app that changes the data calls ``emit(name, **payload)`` from its service, inside the
service's transaction. Apps that must react (indicators, authorities, ...) register a handler
from their ``AppConfig.ready()`` with ``subscribe(name, handler)``. So ``reports`` never
imports ``indicators``, and a reader of a service still sees, at the line of ``emit``, that
something else happens there.

Handlers run at once, in the emitter's transaction: they must be light (create a row, queue a
task with ``.enqueue()``) so that the work they start commits or rolls back with the change
that caused it. Heavy work goes to the worker. A handler that raises makes the emitter's
service fail: handlers that must never break the caller catch and log their own errors.

Every event is declared in ``EVENTS`` with the payload it carries; emitting or subscribing to
an undeclared name raises, so a typo cannot silently drop a reaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

# name -> what its payload carries (keyword arguments of every handler)
EVENTS: dict[str, str] = {
    "report.received": "report_id: a report arrived (early warning, or any first stage)",
    "report.updated": "report_id, stage: the establishment saved a stage or added to it "
                      "(stage: notification, final, update, attachment)",
    "report.qualified": "report_id: the CERT qualified (or re-qualified) the report",
    "report.severity_changed": "report_id, before, after: the case's severity changed "
                               "(before is '' on the first qualification)",
    "report.impact_changed": "report_id: the establishment changed the impact on care, "
                             "patients or operations",
    "report.state_changed": "report_id, before, after: the case's workflow state changed "
                            "(once per save: the net change)",
    "report.resolved": "report_id: the case entered resolved or closed",
    "establishment.changed": "establishment_id: an establishment's registry entry changed",
    "alert.sent": "alert_id: an alert was sent to its recipients (sharing)",
    "intel.accepted": "intel_id, indicator_ids: an analyst accepted incoming intelligence and "
                      "it created, confirmed or made stricter these indicators (not emitted "
                      "when it changed none) (sharing)",
    "indicator.reviewed": "indicator_id, status: an analyst confirmed, rejected or changed the "
                          "TLP or confidence of an indicator, or added to a report one that "
                          "was not confirmed yet: confirmed at once (indicators)",
    "indicator.noisy": "indicator_ids: the correlation found indicators seen in too many "
                       "reports (noisy: no longer shared), or a rebuild found some no longer "
                       "so (indicators)",
    "campaign.changed": "campaign_id: an analyst named, described, confirmed or closed a "
                        "campaign (indicators)",
}

Handler = Callable[..., Any]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def _check(name: str) -> None:
    if name not in EVENTS:
        raise KeyError(f"unknown event {name!r}: declare it in vigisante.core.events.EVENTS")


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(**payload)`` each time ``name`` is emitted (idempotent per handler)."""
    _check(name)
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    """Stop calling ``handler`` (tests)."""
    _check(name)
    if handler in _handlers[name]:
        _handlers[name].remove(handler)


def emit(name: str, **payload: Any) -> None:
    """Run every handler of ``name`` now, in the caller's transaction, in subscription order."""
    _check(name)
    for handler in list(_handlers[name]):
        handler(**payload)


def handlers(name: str) -> list[Handler]:
    """The handlers of ``name``, in order (tests and documentation)."""
    _check(name)
    return list(_handlers[name])
