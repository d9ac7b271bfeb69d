"""Use cases of "are we affected?": check pasted values or an uploaded log against the
indicators an account may receive, and turn a match into an early warning linked to the
campaigns of the matched indicator.

The log is scanned as it arrives and never stored; the matching lines are returned to the
caller (shown to the uploader only) and forgotten.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import access, audit
from vigisante.establishments.models import Establishment
from vigisante.indicators import feed
from vigisante.indicators.logcheck import LogReadError, Matcher, PushScanner
from vigisante.indicators.models import (
    Campaign,
    CampaignReport,
    Indicator,
    Sighting,
    SightingSource,
)
from vigisante.reports import services as report_services
from vigisante.reports.models import Channel, Report

LINES_PER_INDICATOR = 20  # matching lines kept per indicator (the count goes on)
MAX_TEXT_CHARS = 1_000_000
MAX_SOURCE_NAME = 100


@dataclass
class Found:
    """One indicator found, with the first of its matching lines."""

    indicator_id: int
    type: str
    value: str
    tlp: str = ""
    count: int = 0
    first_line: int = 0
    lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class CheckResult:
    source: str
    lines: int = 0
    bytes: int = 0
    found: list[Found] = field(default_factory=list)
    error: str = ""


# -- the shared automaton ------------------------------------------------------------------------
_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None}


def _shared_matcher() -> tuple[Matcher, dict[tuple[str, str], int]]:
    """One automaton of every shareable indicator, rebuilt when they change (one query to
    know); each user's matches are then filtered by what they may receive."""
    key = tuple(Indicator.objects.shareable().aggregate(
        n=Count("id"), s=Sum("id"), r=Max("reviewed_at")).values())
    with _lock:
        if _cache["key"] != key:
            rows = list(Indicator.objects.shareable().values_list("id", "type", "value"))
            _cache["matcher"] = Matcher(((t, v) for _i, t, v in rows), canonicalise=False)
            _cache["ids"] = {(t, v): i for i, t, v in rows}
            _cache["key"] = key
        return _cache["matcher"], _cache["ids"]


class Check:
    """One check in progress: fed piece by piece, then `result()`."""

    def __init__(self, *, actor, source: str, max_bytes: int):
        access.require(actor, "receive", Indicator)
        self.actor = actor
        self.source = source[:MAX_SOURCE_NAME]
        matcher, self.ids = _shared_matcher()
        self.scanner: PushScanner = matcher.pusher()
        self.max_bytes = max_bytes
        self.received = 0
        self.error = ""
        self.found: dict[tuple[str, str], Found] = {}

    def push(self, data: bytes) -> None:
        if self.error:
            return
        self.received += len(data)
        try:
            self._collect(self.scanner.push(data))
        except LogReadError as exc:
            self.error = _("The file could not be read: %(reason)s.") % {"reason": str(exc)}
            return
        if self.scanner.bytes > self.max_bytes * 20:
            self.error = _("The file is too large once decompressed.")

    def fail(self, message: str) -> None:
        self.error = message

    def result(self) -> CheckResult:
        if not self.error:
            try:
                self._collect(self.scanner.finish())
            except LogReadError as exc:
                self.error = _("The file could not be read: %(reason)s.") % {
                    "reason": str(exc)}
        result = CheckResult(source=self.source, lines=self.scanner.lines,
                             bytes=self.scanner.bytes, error=self.error)
        if self.error:
            return result  # nothing partial
        visible = {i.pk: i for i in feed.visible_indicators(self.actor).filter(
            pk__in=[f.indicator_id for f in self.found.values()]).only("id", "tlp")}
        for found in self.found.values():
            if found.indicator_id in visible:
                found.tlp = visible[found.indicator_id].tlp
                result.found.append(found)
        result.found.sort(key=lambda f: (f.first_line, f.type, f.value))
        return result

    def _collect(self, matches) -> None:
        for m in matches:
            key = (m.indicator.type, m.indicator.value)
            found = self.found.get(key)
            if found is None:
                found = self.found[key] = Found(self.ids.get(key, 0), *key, first_line=m.line_no)
            found.count += 1
            if len(found.lines) < LINES_PER_INDICATOR:
                found.lines.append((m.line_no, m.line))


def check_text(*, actor, text: str) -> CheckResult:
    """Check pasted values or log lines."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError({"text": [_("Paste at most 1,000,000 characters; upload a "
                                          "file for more.")]})
    check = Check(actor=actor, source=_("pasted text"), max_bytes=MAX_TEXT_CHARS * 4)
    check.push(text.encode("utf-8", errors="replace"))
    return check.result()


def max_upload_bytes() -> int:
    return int(settings.LOGCHECK_MAX_UPLOAD_MB) * 1024 * 1024


# -- a match becomes a report ----------------------------------------------------------------
@transaction.atomic
def report_match(*, actor, establishment_id: Any, indicator_id: Any, count: Any = 1,
                 first_line: Any = 0, source: str = "") -> Report:
    """File an early warning of the establishment for a matched indicator, linked to the
    campaigns the indicator belongs to (the reporter sees none of their members)."""
    indicator = access.get_or_404(Indicator.objects.all(), actor, "receive", indicator_id)
    est = access.get_or_404(Establishment.objects.all(), actor, "report", establishment_id)
    count, first_line = _small_int(count), _small_int(first_line)
    source = " ".join(str(source or "").split())[:MAX_SOURCE_NAME] or _("a log")
    description = _(
        '"Are we affected?" check: the indicator %(type)s %(value)s shared by the CERT was '
        "found in %(count)d line(s) of %(source)s (first at line %(line)d). Filed from the "
        "match; complete it with what you know.") % {
        "type": indicator.type, "value": indicator.value, "count": max(count, 1),
        "source": source, "line": max(first_line, 1)}
    return _file_report(actor, est, [indicator], description, lines=count)


MAX_SENT_MATCHES = 1000


@transaction.atomic
def report_matches(*, actor, matches: Any, establishment: Any = None) -> Report:
    """`check-logs --send`: one early warning for the indicators a server found in its logs
    (type, value and count only: no log line ever reaches the platform)."""
    access.require(actor, "receive", Indicator)
    if not isinstance(matches, list) or not matches or len(matches) > MAX_SENT_MATCHES:
        raise ValidationError({"matches": [_("Send a list of 1 to 1,000 matches.")]})
    wanted: dict[tuple[str, str], int] = {}
    for item in matches:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) \
                or not isinstance(item.get("value"), str) or len(item["value"]) > 2048:
            raise ValidationError({"matches": [_("Each match is an object with a type, a "
                                                 "value and a count.")]})
        wanted[(item["type"], item["value"])] = _small_int(item.get("count", 1))
    ests = access.restrict(Establishment.objects.all(), actor, "report")
    if establishment not in (None, ""):
        est = ests.filter(finess=str(establishment)[:20]).first()
    else:
        choices = list(ests[:2])
        est = choices[0] if len(choices) == 1 else None
    if est is None:
        raise ValidationError({"establishment": [_("Name one of your establishments (its "
                                                   "FINESS number).")]})
    query = Q()
    for type_, value in wanted:
        query |= Q(type=type_, value=value)
    found = list(feed.visible_indicators(actor).filter(query).order_by("type", "value")[:1000])
    if not found:
        raise ValidationError({"matches": [_("None of these indicators is shared with you.")]})
    total = sum(wanted.get((i.type, i.value), 1) for i in found)
    listed = "; ".join(f"{i.type} {i.value} ({wanted.get((i.type, i.value), 1)})"
                       for i in found[:50])
    description = _(
        "vigisante check-logs found %(n)d indicator(s) shared by the CERT in the logs of the "
        "establishment's server, in %(lines)d line(s): %(list)s. Filed by the command; "
        "complete it with what you know.") % {"n": len(found), "lines": total, "list": listed}
    return _file_report(actor, est, found, description, lines=total, channel=Channel.API)


def _file_report(actor, est, indicators: list[Indicator], description: str, *, lines: int,
                 channel: str = Channel.WEB) -> Report:
    now = timezone.now()
    report = report_services.create_early_warning(actor=actor, channel=channel, data={
        "establishment": est, "description": description[:5000], "discovered_at": now,
        "ongoing": True, "suspected_malicious": "yes", "patient_care_affected": "unknown",
        "support_requested": False, "callback_phone": ""})
    for indicator in indicators:
        Sighting.objects.get_or_create(report=report, indicator=indicator, defaults=dict(
            source=SightingSource.REPORT, created_at=now))
    campaigns = list(Campaign.objects.filter(
        status__in=feed.LIVE_CAMPAIGNS,
        memberships__report__sightings__indicator__in=indicators).distinct().values_list(
        "id", flat=True))
    for campaign_id in campaigns:
        CampaignReport.objects.get_or_create(campaign_id=campaign_id, report=report,
                                             defaults=dict(added_at=now, added_by=actor))
    if campaigns:
        Campaign.objects.filter(pk__in=campaigns).update(last_link_at=now)
    audit.record(actor=actor, action="indicators.match_reported", obj=report,
                 after={"indicators": [i.pk for i in indicators], "campaigns": campaigns,
                        "lines": lines})
    return report


def _small_int(value: Any) -> int:
    try:
        return max(0, min(int(str(value)[:12]), 10**9))
    except (TypeError, ValueError):
        return 0
