"""Targets of an alert resolved to establishments, in one query."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from vigisante.establishments.models import Establishment, SupplierUse
from vigisante.sharing.domain import Targets


def targeted(targets: Targets) -> QuerySet[Establishment]:
    """The establishments `targets` designate (the same rule as `domain.matches`)."""
    if targets.is_empty:
        return Establishment.objects.none()
    condition = Q()
    for name, values in targets.criteria.items():
        if name == "suppliers":
            customers = SupplierUse.objects.filter(supplier_id__in=sorted(values))
            condition &= Q(pk__in=customers.values("establishment_id"))
        else:
            condition &= Q(**{f"{name}__in": sorted(values)})
    return Establishment.objects.filter(condition)
