"""The one access policy: may this user do this action to this object?

Each app registers, for its models, a table ``action -> role -> Scope`` (in its own
``access.py``, imported by its AppConfig.ready). Everything else is derived from that table:

- ``allowed(user, action, obj)``: one object (tested in memory when the scope can, else with
  one query); ``allowed(user, action, Model)``: may the user do it to *some* object;
- ``restrict(queryset, user, action)`` / ``Model.objects.restrict(user, action)``: the
  objects the user may do it to, as a queryset (a WHERE clause, never a DISTINCT);
- ``get_or_404(...)`` / ``require(...)`` for views and services: refusal is a 404 (never a 403:
  the existence of an object is not leaked).

Deny by default: an unauthenticated or inactive user, a role with no entry, or an object
outside the scope is refused. An action that no app registered for a model is a programming
error (``LookupError``), not a silent refusal. Core knows no feature app and no role names:
roles are plain strings (``user.role``); a new role (e.g. an authority with a regional scope)
is a new column of the tables, nothing here changes. See docs/access.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.http import Http404

UserTest = Callable[[Any, Any], bool]
UserQ = Callable[[Any], Q]


class Denied(Http404):
    """The user may not do this (answered as 404: no existence leak)."""


@dataclass(frozen=True)
class Scope:
    """Which objects of a model a rule covers.

    ``q(user)`` gives the SQL condition (None: every object); ``test(user, obj)`` the same
    condition evaluated on one loaded object (None: ask the database). Scopes combine with
    ``&`` (both conditions) and ``|`` (either).
    """

    name: str
    q: UserQ | None = None
    test: UserTest | None = None

    def __and__(self, other: Scope) -> Scope:
        if self.q is None and self.test is None:
            return other
        if other.q is None and other.test is None:
            return self
        return Scope(
            f"{self.name} & {other.name}",
            q=lambda user: _q(self, user) & _q(other, user),
            test=(lambda user, obj: self.test(user, obj) and other.test(user, obj))  # type: ignore[misc]
            if self.test and other.test else None,
        )

    def __or__(self, other: Scope) -> Scope:
        if self.q is None and self.test is None:
            return self
        if other.q is None and other.test is None:
            return other
        return Scope(
            f"({self.name} | {other.name})",
            q=lambda user: _q(self, user) | _q(other, user),
            test=(lambda user, obj: self.test(user, obj) or other.test(user, obj))  # type: ignore[misc]
            if self.test and other.test else None,
        )

    @property
    def is_every(self) -> bool:
        return self.q is None and self.test is None


def _q(scope: Scope, user: Any) -> Q:
    return Q() if scope.q is None else scope.q(user)


EVERY = Scope("every object")


def where(name: str, q: UserQ, test: UserTest | None = None) -> Scope:
    """A scope from a condition: ``where("sector records", lambda u: Q(source="sector"),
    lambda u, r: r.source == "sector")``."""
    return Scope(name, q=q, test=test)


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

RoleKey = str | Iterable[str]
#: An app's rule table: ``{action: {role or (roles, ...): Scope}}``.
Rules = Mapping[str, Mapping[Any, Scope]]

_lock = threading.Lock()
_rules: dict[type[models.Model], dict[str, dict[str, Scope]]] = {}
_owners: dict[tuple[type[models.Model], str], str] = {}


def register(model: type[models.Model], table: Rules,
             *, app: str) -> None:
    """Register `app`'s rules for `model`: ``{action: {role or (roles...): Scope}}``.

    Several apps may register different actions of the same model (triage adds "qualify" to
    the reports' Report); registering an action twice is an error, except by the same app
    (module reloads in tests).
    """
    with _lock:
        actions = _rules.setdefault(model, {})
        for action, by_role in table.items():
            owner = _owners.get((model, action))
            if owner is not None and owner != app:
                raise ValueError(f"{model._meta.label}.{action} is already registered by "
                                 f"{owner}")
            expanded: dict[str, Scope] = {}
            for roles, scope in by_role.items():
                if not isinstance(scope, Scope):
                    raise TypeError(f"{model._meta.label}.{action}: {scope!r} is not a Scope")
                for role in ([roles] if isinstance(roles, str) else list(roles)):
                    expanded[str(role)] = scope
            actions[action] = expanded
            _owners[(model, action)] = app


def actions(model: type[models.Model]) -> list[str]:
    """The actions registered for a model."""
    return sorted(_rules.get(_concrete(model), {}))


def roles_for(model: Any, action: str) -> list[str]:
    """The roles that may do `action` to some object of `model` (e.g. who a case can be
    assigned to: the roles that may triage)."""
    scope_for(None, action, model)  # unknown action: LookupError
    return sorted(_rules[_concrete(model)][action])


def table() -> dict[tuple[str, str], dict[str, str]]:
    """The whole policy, readable: ``{(model label, action): {role: scope name}}``."""
    return {(model._meta.label, action): {role: scope.name for role, scope in sorted(roles.items())}
            for model, by_action in _rules.items() for action, roles in by_action.items()}


def _concrete(model: Any) -> type[models.Model]:
    if isinstance(model, models.Model):
        model = type(model)
    return model._meta.concrete_model if hasattr(model, "_meta") else model


def role_of(user: Any) -> str | None:
    """The role the policy looks up: None for anonymous and inactive users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    role = getattr(user, "role", None)
    return str(role) if role else None


def scope_for(user: Any, action: str, model: Any) -> Scope | None:
    """The scope of `action` on `model` for this user's role; None: nothing at all."""
    model = _concrete(model)
    try:
        by_role = _rules[model][action]
    except KeyError:
        raise LookupError(f"no access rule registered for {model._meta.label}.{action} "
                          f"(registered: {', '.join(actions(model)) or 'none'})") from None
    role = role_of(user)
    return None if role is None else by_role.get(role)


# ---------------------------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------------------------

def allowed(user: Any, action: str, obj: Any) -> bool:
    """May `user` do `action` to `obj` (an instance), or to some object of `obj` (a model)?"""
    scope = scope_for(user, action, obj)
    if scope is None:
        return False
    if isinstance(obj, type):  # model-level: the role has a rule for the action
        return True
    if scope.is_every:
        return True
    if scope.test is not None:
        return bool(scope.test(user, obj))
    if obj.pk is None:
        return False
    return type(obj)._default_manager.filter(pk=obj.pk).filter(_q(scope, user)).exists()


def restrict(queryset: Any, user: Any, action: str = "view") -> models.QuerySet:
    """The objects of `queryset` (or of a model) the user may do `action` to."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    scope = scope_for(user, action, queryset.model)
    if scope is None:
        return queryset.none()
    if scope.q is None:
        return queryset
    return queryset.filter(scope.q(user))


def require(user: Any, action: str, obj: Any) -> None:
    """Raise Denied (a 404) unless allowed."""
    if not allowed(user, action, obj):
        raise Denied("Not found.")


def parse_pk(value: Any) -> int:
    """A primary key from a URL or a body; anything else is a 404."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Denied("Not found.") from None
    if not 0 < pk <= 2**63 - 1:
        raise Denied("Not found.")
    return pk


def get_or_404(queryset: Any, user: Any, action: str, pk: Any, *,
               for_update: bool = False) -> Any:
    """The object `pk` of `queryset` (or model) if the user may do `action` to it, else 404.

    One query. With `for_update`, the row is locked (FOR UPDATE OF the object's own table
    where the database knows it, so joined rows of select_related are not locked).
    """
    qs = restrict(queryset, user, action).filter(pk=parse_pk(pk))
    if for_update:
        qs = (qs.select_for_update(of=("self",))
              if connection.features.has_select_for_update_of else qs.select_for_update())
    found = list(qs[:1])
    if not found:
        raise Denied("Not found.")
    return found[0]


class RestrictedQuerySet(models.QuerySet):
    """Mix into a model's QuerySet: ``Model.objects.restrict(user, "change")``."""

    def restrict(self, user: Any, action: str = "view") -> models.QuerySet:
        return restrict(self, user, action)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

#: The action of an HTTP method, for views that act on one object (NetBox's HTTP_ACTIONS).
HTTP_ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "change",
                "PUT": "change", "PATCH": "change", "DELETE": "delete"}


def requires(action: str | Mapping[str, str], model: type[models.Model], *,
             kwarg: str | None = None, queryset: Callable[[], Any] | None = None) -> Callable:
    """Decorate an HTML view: 404 unless the user may do `action` (or ``{method: action}``)
    to the object named by the URL keyword `kwarg` (put in ``request.access_object``), or to
    some object of `model` when `kwarg` is None. Login is still required separately
    (``login_required`` above it) so that anonymous visitors get the login page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            act = action if isinstance(action, str) else action.get(request.method or "")
            if act is None:  # a method the view does not serve
                from django.http import HttpResponseNotAllowed

                return HttpResponseNotAllowed(list(action))
            if kwarg is None:
                require(request.user, act, model)
            else:
                source = queryset() if queryset is not None else model
                request.access_object = get_or_404(source, request.user, act, kwargs[kwarg])
            return view(request, *args, **kwargs)

        wrapped.access = (action, model)  # type: ignore[attr-defined]
        return wrapped

    return decorator
