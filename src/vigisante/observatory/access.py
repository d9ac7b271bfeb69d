"""Who may do what in the observatory: the rules of `vigisante.core.access` for `Snapshot`
(registered by the app), and the small helpers its pages, API and services call.

- CERT staff compute free periods (any dates, imported sources, the internal version), see
  every snapshot (working copies, publication drafts) and review the drafts.
- CERT admins prepare and publish the public snapshot of a finished year.
- Observers see the published snapshots only (they see what the public sees).
- Published snapshots are open to anyone, without an account: those pages and API routes do
  not ask the policy (see docs/access.md, public routes).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from vigisante.accounts.access import ADMIN, OBSERVER, STAFF
from vigisante.core import access
from vigisante.observatory.models import Snapshot

PUBLISHED = access.where(
    "published versions",
    lambda user: Q(purpose=Snapshot.Purpose.PUBLICATION, published_at__isnull=False),
    lambda user, snap: snap.purpose == Snapshot.Purpose.PUBLICATION and snap.is_published)

SNAPSHOT_RULES: access.Rules = {
    "view": {STAFF: access.EVERY, OBSERVER: PUBLISHED},  # a snapshot and its files
    "compute": {STAFF: access.EVERY},  # free periods: any dates, sources, internal version
    "review": {STAFF: access.EVERY},   # the publication drafts, before an admin publishes
    "publish": {ADMIN: access.EVERY},  # prepare (or correct) and publish a year
}


def register() -> None:
    access.register(Snapshot, SNAPSHOT_RULES, app="observatory")


def may_compute(user: Any) -> bool:
    """Free periods: any dates, imported sources, the internal version (CERT staff)."""
    return access.allowed(user, "compute", Snapshot)


def may_review(user: Any) -> bool:
    """The publication drafts (CERT staff)."""
    return access.allowed(user, "review", Snapshot)


def may_publish(user: Any) -> bool:
    """Prepare and publish a year's public snapshot (CERT admins)."""
    return access.allowed(user, "publish", Snapshot)


def sees_published_only(user: Any) -> bool:
    """Observers: the published snapshots, as the public sees them, and nothing else."""
    return access.allowed(user, "view", Snapshot) and not may_compute(user)
