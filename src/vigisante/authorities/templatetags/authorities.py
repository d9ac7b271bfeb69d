"""Template helpers of the chain of authorities: code labels and the case-page panel."""

from __future__ import annotations

from django import template
from django.utils import timezone

from vigisante.authorities import labels, services
from vigisante.authorities.forms import HoldForm, MessageForm, ReleaseForm
from vigisante.authorities.models import scope_label

register = template.Library()


@register.filter
def code_label(value, vocabulary: str) -> str:
    return labels.label(value, vocabulary)


@register.filter
def scope_name(pair) -> str:
    authority, region = pair
    return scope_label(authority, region)


@register.inclusion_tag("authorities/_case_panel_body.html", takes_context=True)
def transmissions_panel(context, report) -> dict:
    """The report's transmissions on the CERT's case page, with hold, release and message
    forms (CERT staff only: the include is on the case page)."""
    view = services.case_view(report)
    now = timezone.now()
    return {"report": report, "view": view, "now": now,
            "csrf_token": context.get("csrf_token"),
            "hold_form": HoldForm(scopes=view.hold_choices), "release_form": ReleaseForm(),
            "message_form": MessageForm(recipients=view.recipients)}


@register.filter
def percent(value) -> str:
    """A published share (a fraction) as a percentage; a suppressed cell as published."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        from django.utils.formats import number_format

        return f"{number_format(value * 100, 1)} %"
    return "—" if value in (None, "") else str(value)
