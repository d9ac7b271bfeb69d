"""Labels (translated lazily) of the codes the observatory's tables use."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

NOT_QUALIFIED = _("Not qualified yet")
NOT_SPECIFIED = _("Not specified")
UNKNOWN = _("Unknown")
TOTAL = _("Total")

COLUMNS: dict[str, Any] = {
    "reports": _("Reports"),
    "share": _("Share"),
    "structures": _("Structures"),
    "previous": _("Previous period"),
    "change": _("Change on the previous period"),
    "sector": _("Sector"),
    "category": _("Category"),
    "region": _("Region"),
    "value": _("Value"),
    "degraded": _("With degraded or stopped operations"),
    "records": _("Records"),
}


def choices(model: Any, field: str) -> list[tuple[str, Any]]:
    """(code, label) of a model field's choices, in declaration order."""
    return [(k, v) for k, v in model._meta.get_field(field).choices if k != ""]
