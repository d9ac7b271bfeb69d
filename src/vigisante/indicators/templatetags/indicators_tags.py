"""The analysts' queue item of correlation, for the triage pages (a template hook: the triage
app does not import indicators)."""

from __future__ import annotations

from django import template

from vigisante.indicators import campaigns
from vigisante.indicators.access import is_staff

register = template.Library()


@register.inclusion_tag("indicators/_queue_item.html", takes_context=True)
def new_correlations(context) -> dict:
    """"N campaigns with new correlations", linking to the campaigns page (one query)."""
    user = context["request"].user
    return {"count": campaigns.new_correlations(user) if is_staff(user) else 0}
