"""API pieces with no feature knowledge: the ping endpoint, the shared permission, the base
class applying the access policy, and the write transaction that queues SQLite writers."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigisante.core import access


class IsAuthenticatedAndVerified(permissions.IsAuthenticated):
    """Authenticated; CERT staff and authorities using a browser session must also have
    passed 2FA.

    The site's two-factor middleware leaves /api/ alone (API clients use tokens), so without
    this an analyst logged in with a password only could read every report through the
    browsable API. A token is its own credential and is not affected.
    """

    message = _("Authentication credentials were not provided.")

    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        if request.auth is None and getattr(user, "requires_second_factor", False):
            if settings.REQUIRE_2FA and not getattr(user, "is_verified", lambda: True)():
                self.message = _("Pass the second factor (two-factor authentication) first.")
                return False
        return True


class AccessMixin:
    """Apply the access policy (vigisante.core.access) before any parsing, in `initial()`.

    - `access_model`: the model whose rules apply;
    - `access_actions`: ``{HTTP method: action}`` (default `access.HTTP_ACTIONS`: GET view,
      POST/PUT/PATCH change, DELETE delete); a method missing from it is not checked here and
      must not be served (DRF answers 405 for a method the view does not implement);
    - `access_kwarg`: the URL keyword naming the object (e.g. "pk"): the object is fetched
      with the method's action into `self.object` (404 when refused or missing); None for a
      collection route, which only needs the role to have the action (404 otherwise);
    - `access_queryset()`: what the object is fetched from (add select_related there).

    Lists restrict their own queryset: ``self.restrict(Model.objects...)``.
    """

    access_model: Any = None
    access_actions: dict[str, str] = access.HTTP_ACTIONS
    access_kwarg: str | None = None
    object: Any = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        action = self.access_action(request)
        if action is None:
            return
        if self.access_kwarg is not None:
            self.object = access.get_or_404(self.access_queryset(), request.user, action,
                                            kwargs.get(self.access_kwarg))
        else:
            access.require(request.user, action, self.access_model)

    def access_action(self, request: Request) -> str | None:
        method = (request.method or "").upper()
        if method != "OPTIONS" and not hasattr(self, method.lower()):
            return None  # not served: 405 from DRF, whatever the object
        if method not in self.access_actions:
            raise LookupError(f"{type(self).__name__} serves {method} but `access_actions` "
                              "gives it no action")
        return self.access_actions[method]

    def access_queryset(self) -> Any:
        return self.access_model._default_manager.all()

    def restrict(self, queryset: Any, action: str | None = None) -> Any:
        """`queryset` restricted to what the user may do this request's action to."""
        return access.restrict(queryset, self.request.user,  # type: ignore[attr-defined]
                               action or self.access_action(self.request))  # type: ignore[attr-defined]


class RestrictedAPIView(AccessMixin, APIView):
    """The API base class: authenticated (2FA for staff sessions) and the access policy."""

    permission_classes = [IsAuthenticatedAndVerified]


try:
    import fcntl
except ImportError:  # Windows: no flock; SQLite's own busy handler does the waiting
    fcntl = None  # type: ignore[assignment]

_writer = threading.local()


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """`transaction.atomic()` for a request that writes; on SQLite, writers queue in the kernel.

    SQLite allows one writer; the others wait in its busy handler, which polls with back-off
    sleeps of up to 100 ms. Under load that leaves the lock idle between writers and lets an
    unlucky request wait past the 30 s timeout ("database is locked": a 500). Here writers
    first wait on an flock() of a file next to the database, which wakes the next one as soon
    as it is released, and it is released at commit, before any on-commit work (e-mails) runs.
    Nested uses are plain savepoints; other databases only get the atomic block.
    """
    if fcntl is None or connection.vendor != "sqlite" or getattr(_writer, "active", False):
        with transaction.atomic():
            yield
        return
    # Mode 600: whoever can open the lock file can hold it and stall every writer.
    fd = os.open(Path(settings.DATA_DIR) / "sqlite-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    handle = os.fdopen(fd, "a+b")
    fcntl.flock(handle, fcntl.LOCK_EX)
    _writer.active = True

    def release() -> None:
        if not handle.closed:
            _writer.active = False
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    try:
        with transaction.atomic():
            transaction.on_commit(release)  # first hook: runs before the others
            yield
    finally:
        release()


class OTPSessionScheme(SessionScheme):
    """Document the site's session authentication (with second factor) in the schema."""

    target_class = "vigisante.accounts.authentication.OTPSessionAuthentication"
    priority = -2  # a scheme registered by the accounts app itself takes precedence


@extend_schema(
    summary="Check that the API answers and the credentials work",
    responses={200: inline_serializer("Ping", {"status": serializers.CharField()})},
    tags=["core"],
)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
def ping(request: Request) -> Response:
    """The cheapest authenticated request: the baseline of the intake benchmark."""
    return Response({"status": "ok"})
