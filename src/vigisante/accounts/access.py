"""Access rules of the accounts app, and the scopes other apps build theirs from.

Role groups (``STAFF``, ``REPORTER``...) and ``member_of(path)`` (objects of the user's own
establishments) are meant to be imported by every app's ``access.py``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from vigisante.accounts.models import STAFF_ROLES, ApiToken, Invitation, Membership, Role
from vigisante.core import access

STAFF = tuple(sorted(STAFF_ROLES))  # analysts and admins
REPORTER = Role.REPORTER
OBSERVER = Role.OBSERVER
ADMIN = Role.ADMIN
EVERYONE = tuple(Role.values)  # every role (logged in and active)

_CACHE = "_access_establishment_ids"


def establishment_ids(user: Any) -> frozenset[int]:
    """The ids of the user's establishments (one query, then cached on the user object)."""
    ids = getattr(user, _CACHE, None)
    if ids is None:
        ids = frozenset(Membership.objects.filter(user_id=user.pk)
                        .values_list("establishment_id", flat=True))
        setattr(user, _CACHE, ids)
    return ids


def _follow(obj: Any, path: str) -> Any:
    """The establishment id at the end of `path` ("", "establishment", "report__establishment")."""
    if not path:
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def member_of(path: str = "establishment") -> access.Scope:
    """Objects whose establishment (reached by the ORM `path`; "" for an Establishment itself)
    is one of the user's: a subquery, never a join that would need DISTINCT."""
    field = f"{path}__in" if path else "pk__in"

    def q(user: Any) -> Q:
        return Q(**{field: Membership.objects.filter(user_id=user.pk)
                    .values("establishment_id")})

    def test(user: Any, obj: Any) -> bool:
        return _follow(obj, path) in establishment_ids(user)

    return access.where("own establishments", q, test)


OWN_ONLY = access.where("own objects", lambda user: Q(user_id=user.pk),
                        lambda user, obj: obj.user_id == user.pk)


def register() -> None:
    access.register(ApiToken, {
        "view": {EVERYONE: OWN_ONLY},
        "revoke": {EVERYONE: OWN_ONLY},
    }, app="accounts")
    access.register(Invitation, {
        "view": {STAFF: access.EVERY},
        "create": {STAFF: access.EVERY},
    }, app="accounts")
