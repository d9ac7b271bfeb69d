"""What a report's pages show: the filled facts of each stage, as (label, text) pairs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vigisante.reports import services
from vigisante.reports.models import Report, Stage, System

DATA_IMPACT = {"data_availability": _("availability"), "data_integrity": _("integrity"),
               "data_confidentiality": _("confidentiality")}


def display(report: Report, name: str) -> str:
    """One field's value as the reader should see it ('' when not filled)."""
    value = getattr(report, name)
    field = Report._meta.get_field(name)
    if value is None or value == "" or value == []:
        return ""
    if name == "systems_hit":
        labels = dict(System.choices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if name == "establishment":
        return str(value)
    if field.choices:
        return str(getattr(report, f"get_{name}_display")())
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return str(value)


def _facts(report: Report, names: list[str], *, show_false: bool) -> list[tuple[str, str]]:
    facts = []
    impacts = [str(DATA_IMPACT[n]) for n in names if n in DATA_IMPACT and getattr(report, n)]
    for name in names:
        if name in DATA_IMPACT:
            if name == "data_availability" and (impacts or show_false):
                facts.append((gettext("Data impact"),
                              capfirst(", ".join(impacts)) if impacts else gettext("None")))
            continue
        value = getattr(report, name)
        if value is False and not show_false:
            continue
        text = display(report, name)
        if text:
            facts.append((str(capfirst(Report._meta.get_field(name).verbose_name)), text))
    return facts


def stages(report: Report) -> list[dict[str, Any]]:
    """The three stages with their filled facts, submission date and edit link."""
    early = {"key": Stage.EARLY_WARNING, "title": Stage.EARLY_WARNING.label,
             "done_at": report.created_at, "edit_url": None,
             "facts": _facts(report, services.EARLY_WARNING_FIELDS, show_false=True)}
    notification = {
        "key": Stage.NOTIFICATION, "title": Stage.NOTIFICATION.label,
        "done_at": report.notification_at,
        "edit_url": reverse("reports:notification", args=[report.pk]),
        "facts": _facts(report, services.NOTIFICATION_FIELDS,
                        show_false=report.notification_at is not None)}
    final = {"key": Stage.FINAL, "title": Stage.FINAL.label, "done_at": report.final_at,
             "edit_url": reverse("reports:final", args=[report.pk]),
             "facts": _facts(report, services.FINAL_FIELDS, show_false=True)}
    return [early, notification, final]


def still_to_complete(report: Report) -> list[dict[str, str]]:
    """The stages the establishment still owes, with the page completing each."""
    urls = {Stage.NOTIFICATION: "reports:notification", Stage.FINAL: "reports:final"}
    return [{"key": stage, "label": Stage(stage).label,
             "url": reverse(urls[stage], args=[report.pk])}
            for stage in report.missing_stages]
