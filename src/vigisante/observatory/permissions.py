"""Who may do what in the observatory, in one place (to be switched to
`vigisante.core.access` when it lands).

- Free periods (any dates, imported sources, the internal version): CERT staff.
- Preparing and publishing the public snapshot of a year: CERT admins.
- Published snapshots: anyone, without an account (observers see the same ones).
"""

from __future__ import annotations

from vigisante.accounts.models import Role


def can_use_free_periods(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_cert_staff)


def can_review_drafts(user) -> bool:
    return can_use_free_periods(user)


def can_publish(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.role == Role.ADMIN)
