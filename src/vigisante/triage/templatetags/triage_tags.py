"""Small helpers of the triage templates, and the case panel of the reporter's report page."""

from __future__ import annotations

from django import template

from vigisante.core.taxonomy import Kind, rsit
from vigisante.triage import presenters, queries
from vigisante.triage.domain import Severity, State

register = template.Library()

_STATE_CLASS = presenters.STATE_CLASS
_SEVERITY_CLASS = presenters.SEVERITY_CLASS


@register.filter
def state_class(state: str) -> str:
    """The badge colour of a workflow state."""
    return _STATE_CLASS.get(state or State.RECEIVED, "")


@register.filter
def state_label(state: str) -> str:
    try:
        return str(State(state or State.RECEIVED).label)
    except ValueError:
        return state


@register.filter
def severity_class(severity: str) -> str:
    return _SEVERITY_CLASS.get(severity, "")


@register.filter
def severity_label(severity: str) -> str:
    try:
        return str(Severity(severity).label) if severity else ""
    except ValueError:
        return severity


@register.filter
def kind_label(kind: str) -> str:
    return presenters.label_of(Kind, kind)


@register.simple_tag
def rsit_label(rsit_class: str, rsit_type: str = "") -> str:
    """'Malicious Code / Infected System' from the shipped RSIT file."""
    return rsit().label(rsit_class, rsit_type)


@register.inclusion_tag("triage/_reporter_panel_body.html", takes_context=True)
def reporter_panel(context, report):
    """The state of the CERT's work on a report and the messages, for the establishment."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"panel": queries.reporter_view(user=user, report=report), "report": report,
            "csrf_token": context.get("csrf_token"), "request": request}
