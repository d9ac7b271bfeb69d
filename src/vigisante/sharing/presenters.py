"""What the alert pages show, each list in a fixed number of queries.

What a recipient sees is built here from the alert's own fields only (title, situation,
actions, TLP, date, indicator types and values): never its campaign, targets or recipients.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from vigisante.establishments.models import Category, Nis2Status, Sector, Supplier
from vigisante.establishments.regions import REGIONS
from vigisante.sharing import access, services
from vigisante.sharing.forms import TLP_HELP
from vigisante.sharing.models import Alert, AlertRead, AlertRecipient

PREVIEW_NAMES = 500  # names listed on the preview page; the count is always exact


def _count(model, **filters) -> Coalesce:
    rows = model.objects.filter(alert=OuterRef("pk"), **filters).order_by() \
        .values("alert").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def staff_rows() -> QuerySet[Alert]:
    """Every alert, drafts first, with its recipients and readers counted (one query)."""
    return Alert.objects.annotate(
        recipients_count=_count(AlertRecipient), reads_count=_count(AlertRead),
        is_draft=ExpressionWrapper(Q(sent_at__isnull=True), output_field=BooleanField()),
    ).select_related("created_by").order_by("-is_draft", "-sent_at", "-created_at", "-pk")


def reader_rows(user) -> QuerySet[Alert]:
    """The alerts delivered to the user's establishments, unread first, newest first."""
    read_at = AlertRead.objects.filter(alert=OuterRef("pk"), user=user).values("read_at")[:1]
    return access.visible_alerts(user).annotate(
        read_at=Subquery(read_at, output_field=DateTimeField()),
    ).annotate(
        is_read=ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField()),
    ).order_by("is_read", "-sent_at", "-pk").only(
        "pk", "title", "tlp", "sent_at")


def reader_detail(alert: Alert) -> dict[str, Any]:
    return {"alert": alert, "indicators": list(alert.indicators.order_by("type", "value")),
            "tlp_help": TLP_HELP.get(alert.tlp, "")}


def describe_targets(alert: Alert) -> list[tuple[str, list[str]]]:
    """The targets in words, criterion by criterion."""
    if alert.target_all:
        return [(_("Every establishment"), [])]
    out = []
    for label, values, choices in (
            (_("Categories"), alert.target_categories, dict(Category.choices)),
            (_("Sectors"), alert.target_sectors, dict(Sector.choices)),
            (_("Regions"), alert.target_regions, REGIONS),
            (_("NIS2 statuses"), alert.target_nis2, dict(Nis2Status.choices))):
        if values:
            out.append((label, [str(choices.get(v, v)) for v in values]))
    suppliers = list(Supplier.objects.filter(pk__in=alert.target_suppliers.values("pk"))
                     .values_list("name", flat=True))
    if suppliers:
        out.append((_("Customers of the suppliers"), suppliers))
    return out


def staff_detail(alert: Alert) -> dict[str, Any]:
    context = reader_detail(alert)
    context.update(targets=describe_targets(alert),
                   receipts=services.receipts(alert) if alert.is_sent else [])
    context["read_count"] = sum(1 for r in context["receipts"] if r.reads)
    return context


def preview(alert: Alert) -> dict[str, Any]:
    """The draft, who would receive it now, and what prevents sending it."""
    recipients = services.recipients_of(alert).order_by("name")
    context = staff_detail(alert)
    context.update(
        recipient_count=recipients.count(),
        recipient_names=list(recipients.values_list("name", "finess")[:PREVIEW_NAMES]),
        problems=services.problems(alert) if not alert.is_sent else {},
        field_labels=services.field_labels(), preview_limit=PREVIEW_NAMES)
    return context
