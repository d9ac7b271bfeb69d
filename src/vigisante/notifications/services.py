"""Send an e-mail about an event to users (each in their language, if they want it) and to
plain addresses (the CERT's mailbox), through Django's configured e-mail backend.

    notify(event="message", recipients=reporters, context={"report": report, "case": case,
                                                           "message": msg, "actor": user})

Call it after the change is committed (`transaction.on_commit(lambda: notify(...))`, as
`triage.services.notify_on_commit` does), so nobody hears about a change that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from vigisante.notifications.events import CERT, EVENTS, audience_of
from vigisante.notifications.models import Language, NotificationPreference

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")


def notify(*, event: str, recipients: Iterable[Any], context: dict[str, Any],
           raise_errors: bool = False) -> int:
    """Render and send `event` to each recipient who wants it; return the e-mails sent.

    `recipients`: User objects (their preferences and language apply; inactive users and
    observers are skipped) and/or e-mail addresses (sent in French). Duplicates are sent once.
    A failure to send is logged and 0 returned, unless `raise_errors`.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    try:
        messages = [_render(event, email, user, lang, context)
                    for email, user, lang in _targets(event, recipients)]
        if not messages:
            return 0
        with get_connection(fail_silently=False) as conn:
            return conn.send_messages(messages) or 0
    except Exception:
        if raise_errors:
            raise
        log.exception("could not send the %s e-mails", event)
        return 0


def _targets(event: str, recipients: Iterable[Any]) -> list[tuple[str, Any, str]]:
    users: list[Any] = []
    addresses: list[str] = []
    for r in recipients or ():
        if r is None:
            continue
        (addresses if isinstance(r, str) else users).append(r)
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(
        user_id__in=[u.pk for u in users])}
    seen: set[str] = set()
    out = []
    for user in users:
        email = (user.email or "").strip()
        pref = prefs.get(user.pk)
        if (not email or not user.is_active or audience_of(user) is None
                or (pref is not None and not pref.wants(event))):
            continue
        if email.lower() not in seen:
            seen.add(email.lower())
            out.append((email, user, pref.language if pref else Language.FR))
    for address in addresses:
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append((address, None, settings.LANGUAGE_CODE))
    return out


def _render(event: str, email: str, user: Any, lang: str,
            context: dict[str, Any]) -> EmailMessage:
    to_cert = user is None or audience_of(user) == CERT
    ctx = {**context, "recipient": user, "to_cert": to_cert, "LANGUAGE_CODE": lang,
           "site_url": settings.SITE_URL}
    report = context.get("report")
    ctx.setdefault("url", report_url(report) if report is not None else settings.SITE_URL)
    ctx.setdefault("preferences_url", _absolute("notifications:preferences"))
    with translation.override(lang), timezone.override(PARIS):
        subject_text: str = render_to_string(f"notifications/email/{event}_subject.txt", ctx)
        body = render_to_string(f"notifications/email/{event}_body.txt", ctx)
    subject = " ".join(subject_text.split())  # one line, whatever the template's newlines
    return EmailMessage(subject, body.strip() + "\n", settings.DEFAULT_FROM_EMAIL, [email])


def _absolute(name: str, *args: Any) -> str:
    try:
        return settings.SITE_URL + reverse(name, args=args)
    except NoReverseMatch:
        return settings.SITE_URL + "/"


def report_url(report: Any) -> str:
    """The report's page (the same address serves the establishment and the CERT)."""
    return _absolute("reports:detail", report.pk)


def cert_recipients() -> list[Any]:
    """The CERT: every active analyst and admin (their preferences apply) and its mailbox."""
    from vigisante.accounts.models import STAFF_ROLES, User

    return [*User.objects.filter(role__in=STAFF_ROLES, is_active=True), settings.CERT_EMAIL]


def preferences_of(user: Any) -> NotificationPreference:
    """The user's preferences (unsaved defaults when they never chose)."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user)


@transaction.atomic
def save_preferences(*, actor: Any, form: Any) -> NotificationPreference:
    """Save the preferences form of the acting user, audited."""
    from vigisante.core import audit

    pref = form.instance
    before = audit.snapshot(pref) if pref.pk else None
    pref = form.save(commit=False)
    pref.user = actor
    pref.save()
    after = audit.snapshot(pref)
    for volatile in ("updated_at",):
        after.pop(volatile, None)
        if before:
            before.pop(volatile, None)
    if before is not None:
        before, after = audit.diff(before, after)
    if after:
        audit.record(actor=actor, action="notifications.preferences", obj=pref, before=before,
                     after=after)
    return pref
