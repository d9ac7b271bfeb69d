"""Use cases of indicators: ingestion from reports, analyst review, correlation entry points.

Extraction itself is pure (vigisante.indicators.extraction, engineer `extract`); this module
stores what it finds, keeps warning-listed values out, and correlates.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import access, audit, events
from vigisante.indicators import campaigns, correlation, domain
from vigisante.indicators.access import require_staff
from vigisante.indicators.models import (
    CorrelationRebuild,
    Indicator,
    RebuildState,
    Sighting,
    SightingSource,
    Status,
    WarningListEntry,
)
from vigisante.reports.models import Report, Source

log = logging.getLogger(__name__)

#: Indicators written per statement (SQLite takes at most 32,766 parameters).
STORE_BATCH = 1000
TEXT_ATTACHMENTS = ("txt", "log", "csv", "eml", "json", "html", "htm")
# Mail providers shared by everyone: a reporter's address there says nothing about which
# domains are the establishment's own.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "outlook.fr", "hotmail.com", "hotmail.fr",
    "live.fr", "live.com", "yahoo.com", "yahoo.fr", "orange.fr", "wanadoo.fr", "free.fr",
    "sfr.fr", "laposte.net", "icloud.com", "me.com", "protonmail.com", "proton.me", "gmx.fr",
    "aol.com", "neuf.fr", "bbox.fr", "mailo.com",
})


def _extraction():
    from vigisante.indicators import extraction

    return extraction


# --- queueing (called by the reports services) ---------------------------------------------

def on_report_event(*, report_id: int, **_: Any) -> None:
    """`report.received`, `report.updated`, `report.qualified` (subscribed in indicators.apps)."""
    queue_ingest(report_id=report_id)


def queue_ingest(*, report_id: int, actor=None) -> None:
    """Queue the extraction and correlation of a report for the worker, inside the caller's
    transaction (in a savepoint: failing to queue never loses the report's own change)."""
    from vigisante.indicators.tasks import ingest_report_task

    try:
        with transaction.atomic():
            ingest_report_task.enqueue(int(report_id))
    except Exception:  # noqa: BLE001 - indicators are a by-product, never fail the report
        log.exception("could not queue the indicators of report %s", report_id)


# --- extraction ----------------------------------------------------------------------------

def _texts(report: Report) -> Iterable[tuple[str, int | None, dict[str, list[str]]]]:
    """(source, attachment id, extracted values) for each text of a report."""
    try:
        ex = _extraction()
    except ImportError:  # the extraction engine is a separate part of issue 7
        log.warning("vigisante.indicators.extraction is missing: nothing extracted")
        return
    fields = "\n".join(getattr(report, f) or "" for f in domain.REPORT_TEXT_FIELDS)
    fields += "\n" + (report.supplier_name or "")
    yield SightingSource.REPORT, None, ex.extract(fields)
    for text in report.updates.values_list("text", flat=True):
        yield SightingSource.UPDATE, None, ex.extract(text)
    for att in report.attachments.all():
        ext = att.original_name.rsplit(".", 1)[-1].lower() if "." in att.original_name else ""
        if ext not in TEXT_ATTACHMENTS:
            continue
        try:
            with att.file.open("rb") as fh:
                data = fh.read()
            found = ex.extract_bytes(data, att.original_name)
        except (OSError, ex.ExtractionError) as exc:
            log.info("attachment %s of report %s not read: %s", att.pk, report.pk, exc)
            continue
        yield SightingSource.ATTACHMENT, att.pk, found


def _listed(report: Report, values: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The values a warning list keeps out: one query for exact and parent-domain entries,
    one for IP ranges, one for the establishment's reporters' e-mail domains."""
    if not values:
        return set()
    keys: dict[tuple[str, str], set[tuple[str, str]]] = {
        v: domain.lookup_keys(*v) for v in values}
    wanted = set().union(*keys.values())
    by_type: dict[str, list[str]] = {}
    for t, v in wanted:
        by_type.setdefault(t, []).append(v)
    cond = Q()
    for t, vs in by_type.items():
        cond |= Q(type=t, value__in=vs)
    scope = Q(establishment__isnull=True)
    if report.establishment_id:
        scope |= Q(establishment_id=report.establishment_id)
    hits = set(WarningListEntry.objects.filter(scope).filter(cond)
               .values_list("type", "value"))
    own: set[str] = set()
    if report.establishment_id:
        from vigisante.accounts.models import User

        own = domain.email_domains(User.objects.filter(
            memberships__establishment_id=report.establishment_id, is_active=True,
        ).values_list("email", flat=True)) - PUBLIC_MAIL_DOMAINS
    hits |= {("domain", d) for d in own}
    networks = []
    if any(t in ("ipv4", "ipv6", "url") for t, _v in values):
        for value in (WarningListEntry.objects.filter(scope, type__in=("ipv4", "ipv6"),
                                                      value__contains="/")
                      .values_list("value", flat=True)):
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                continue
    return {v for v, ks in keys.items()
            if ks & hits or (networks and domain.in_networks(*v, networks))}


_IND, _SIG = Indicator._meta.db_table, Sighting._meta.db_table
#: PostgreSQL: a batch of indicators and the report's sightings of them, in one statement whose
#: text does not depend on the batch (arrays), so that it is prepared once.
STORE_SQL = (
    f"WITH v AS (SELECT * FROM unnest(%(types)s::text[], %(values)s::text[], "
    f"%(sources)s::text[], %(attachments)s::bigint[]) AS v(type, value, source, attachment)), "
    f"i AS (INSERT INTO {_IND} (type, value, status, tlp, confidence, noisy, first_seen, "
    f"last_seen, reviewed_by_id, reviewed_at) SELECT type, value, %(status)s, %(tlp)s, "
    f"%(confidence)s, FALSE, %(now)s, %(now)s, CAST(%(reviewer)s AS BIGINT), "
    f"CAST(%(reviewed_at)s AS TIMESTAMPTZ) FROM v ON CONFLICT (type, value) DO UPDATE SET "
    f"last_seen = GREATEST({_IND}.last_seen, excluded.last_seen) RETURNING id, type, value), "
    f"s AS (INSERT INTO {_SIG} (report_id, indicator_id, source, attachment_id, created_at) "
    f"SELECT %(report)s, i.id, v.source, v.attachment, %(now)s FROM i "
    f"JOIN v ON v.type = i.type AND v.value = i.value ON CONFLICT DO NOTHING) "
    f"SELECT id, type, value FROM i")


def _store(report: Report, found: dict[tuple[str, str], tuple[str, int | None]], now,
           *, status: str = Status.PENDING, actor=None) -> list[int]:
    """Create the missing indicators (the others' last sighting moves to `now`) and the
    report's sightings, two set-based statements per batch; returns the indicator ids."""
    if not found:
        return []
    ind, sig = Indicator._meta.db_table, Sighting._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    reviewed = status != Status.PENDING
    tlp, confidence = Indicator._meta.get_field("tlp").default, \
        Indicator._meta.get_field("confidence").default
    later = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    keys = list(found)
    ids: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(keys), STORE_BATCH):
            batch = keys[i:i + STORE_BATCH]
            if connection.vendor == "postgresql":
                # One prepared statement: the indicators' upsert feeds the sightings' insert.
                rows = correlation.prepared(STORE_SQL, {
                    "types": [t for t, _v in batch], "values": [v for _t, v in batch],
                    "sources": [found[k][0] for k in batch],
                    "attachments": [found[k][1] for k in batch],
                    "status": status, "tlp": tlp, "confidence": confidence, "now": now,
                    "reviewer": actor.pk if reviewed and actor is not None else None,
                    "reviewed_at": now if reviewed else None, "report": report.pk})
                ids.update(((t, v), pk) for pk, t, v in rows)
                continue
            params: list = []
            for t, v in batch:
                params += [t, v, status, tlp, confidence, False, stamp, stamp,
                           actor.pk if reviewed and actor is not None else None,
                           stamp if reviewed else None]
            cursor.execute(
                f"INSERT INTO {ind} (type, value, status, tlp, confidence, noisy, first_seen, "
                f"last_seen, reviewed_by_id, reviewed_at) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
                + f" ON CONFLICT (type, value) DO UPDATE SET last_seen = "
                f"{later}({ind}.last_seen, excluded.last_seen) RETURNING id, type, value",
                params)
            ids.update(((t, v), pk) for pk, t, v in cursor.fetchall())
            params = []
            for key in batch:
                source, attachment = found[key]
                params += [report.pk, ids[key], source, attachment, stamp]
            cursor.execute(
                f"INSERT INTO {sig} (report_id, indicator_id, source, attachment_id, created_at) "
                f"VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
                + " ON CONFLICT DO NOTHING", params)
    return sorted(ids.values())


def _correlate(report_ids: list[int], now) -> None:
    if len(report_ids) == 1 and connection.vendor == "postgresql":
        # One statement for the links, which also reads the campaigns of the linked reports.
        pairs, members = correlation.correlate_report(report_ids[0], now)
        campaigns.attach_new_links(pairs, now, members)
        return
    campaigns.attach_new_links(correlation.correlate_reports(report_ids, now), now)


def ingest_report(report: Report | int, *, actor=None) -> list[int]:
    """Extract the indicators of a report's texts, updates and text attachments, store them as
    pending sightings (warning-listed values left out), then correlate the report."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(
            pk=report.pk if isinstance(report, Report) else int(report))
        if report.source != Source.SECTOR:
            return []
        now = timezone.now()
        found: dict[tuple[str, str], tuple[str, int | None]] = {}
        for source, att, values in _texts(report):
            for type_, vals in values.items():
                for v in vals:
                    if len(v.encode()) <= domain.MAX_VALUE_BYTES:
                        found.setdefault((type_, v), (source, att))
        for key in _listed(report, set(found)):
            del found[key]
        ids = _store(report, found, now)
        _correlate([report.pk], now)
        return ids


# --- analysts ------------------------------------------------------------------------------

def _clean_value(type_: str, value: str) -> tuple[str, str]:
    ex = _extraction()
    value = str(value or "").strip()
    if not value:
        raise ValidationError({"value": [_("Enter a value.")]})
    if len(value) > 4 * domain.MAX_VALUE_BYTES or "\x00" in value:
        raise ValidationError({"value": [_("This value is too long.")]})
    type_ = str(type_ or "").strip() or (ex.guess_type(value) or "")
    if type_ not in ex.TYPES:
        raise ValidationError({"type": [_("Choose the type of this value.")]})
    clean = ex.canonical(type_, value)
    if not clean:
        raise ValidationError({"value": [_("This is not a valid %(type)s.") % {"type": type_}]})
    if len(clean.encode()) > domain.MAX_VALUE_BYTES:
        raise ValidationError({"value": [_("This value is too long.")]})
    return type_, clean


@transaction.atomic
def add_indicator(*, actor, report: Report, type_: str, value: str) -> Indicator:
    """An analyst adds an indicator to a report: it is confirmed at once and correlated (a
    rejected one stays rejected). One that was not confirmed yet (new or pending) emits
    `indicator.reviewed`, like a confirmation: the TAXII publication shares it."""
    require_staff(actor)
    type_, clean = _clean_value(type_, value)
    now = timezone.now()
    was = Indicator.objects.filter(type=type_, value=clean).values_list(
        "status", flat=True).first()
    _store(report, {(type_, clean): (SightingSource.ANALYST, None)}, now,
           status=Status.CONFIRMED, actor=actor)
    ind = Indicator.objects.get(type=type_, value=clean)
    if ind.status == Status.PENDING:
        ind.status, ind.reviewed_by, ind.reviewed_at = Status.CONFIRMED, actor, now
        ind.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit.record(actor=actor, action="indicator.add", obj=report,
                 after={"indicator": ind.pk, "type": type_, "value": clean})
    if ind.status == Status.CONFIRMED and was != Status.CONFIRMED:
        events.emit("indicator.reviewed", indicator_id=ind.pk, status=ind.status)
    if ind.status == Status.CONFIRMED:
        _correlate([report.pk], now)
    return ind


@transaction.atomic
def review(*, actor, indicator: Indicator | int, status: str, tlp: str | None = None,
           confidence=None) -> Indicator:
    """Confirm or reject an indicator, set its TLP and confidence. Confirming correlates it;
    rejecting removes the links it made."""
    require_staff(actor)
    pk = indicator.pk if isinstance(indicator, Indicator) else indicator
    try:
        ind = Indicator.objects.select_for_update().get(pk=int(pk))
    except (Indicator.DoesNotExist, TypeError, ValueError):
        from django.http import Http404

        raise Http404("No such indicator.") from None
    tlp = ind.tlp if tlp in (None, "") else tlp
    confidence = ind.confidence if confidence in (None, "") else confidence
    errors = domain.review_errors(status, tlp, confidence)
    if errors:
        messages = {"status": _("Unknown status."), "tlp": _("Unknown TLP level."),
                    "confidence": _("Confidence is a whole number from 0 to 100.")}
        raise ValidationError({k: [messages[code]] for k, code in errors.items()})
    before = audit.snapshot(ind, ["status", "tlp", "confidence"])
    was_confirmed = ind.status == Status.CONFIRMED
    now = timezone.now()
    ind.status, ind.tlp, ind.confidence = status, tlp, int(confidence)
    ind.reviewed_by, ind.reviewed_at = actor, now
    ind.save(update_fields=["status", "tlp", "confidence", "reviewed_by", "reviewed_at"])
    old, new = audit.diff(before, audit.snapshot(ind, ["status", "tlp", "confidence"]))
    audit.record(actor=actor, action="indicator.review", obj=ind, before=old, after=new)
    events.emit("indicator.reviewed", indicator_id=ind.pk, status=ind.status)
    if status == Status.CONFIRMED and not was_confirmed:
        campaigns.attach_new_links(correlation.correlate_indicators([ind.pk], now), now)
    elif status != Status.CONFIRMED and was_confirmed:
        ind.links.all().delete()
    return ind


#: What a rebuild does, in order (the page shows the step reached).
REBUILD_STEPS = (*correlation.REBUILD_STEPS, "campaigns")


def rebuild(*, actor=None, progress=None) -> dict[str, int]:
    """Recompute every link and the proposals from scratch, in one transaction (readers keep
    the old links until it commits). `progress(steps_done)` is called as it goes."""
    if actor is not None:
        require_staff(actor)
    with transaction.atomic():
        now = timezone.now()
        links = correlation.rebuild_links(
            now, None if progress is None else lambda i, _name: progress(i))
        if progress is not None:
            progress(len(correlation.REBUILD_STEPS))
        proposals = campaigns.rebuild_campaigns(now)
        return {"links": links, "proposals": proposals}


def _active_rebuild():
    return CorrelationRebuild.objects.filter(
        state__in=(RebuildState.QUEUED, RebuildState.RUNNING)).order_by("requested_at").first()


def request_rebuild(*, actor) -> tuple[CorrelationRebuild, bool]:
    """Queue a rebuild for the worker (the page's button); one at a time: if one is queued or
    running, that one is returned. Returns (run, queued now)."""
    from vigisante.indicators.tasks import rebuild_task

    access.require(actor, "run", CorrelationRebuild)
    with transaction.atomic():
        # Two requests at the same instant may both queue one: harmless, the second run
        # recomputes the same links.
        active = _active_rebuild()
        if active is not None:
            return active, False
        run = CorrelationRebuild.objects.create(requested_by=actor,
                                                requested_at=timezone.now())
        audit.record(actor=actor, action="correlation.rebuild_requested", obj=run)
        rebuild_task.enqueue(run.pk)
    return run, True


def _side_progress(run_id: int):
    """A writer of the run's progress through a second connection (PostgreSQL): the rebuild's
    own transaction is not visible until it commits. SQLite allows one writer at a time: there
    the page shows the run as running until it is done."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if connection.vendor != "postgresql":
        return None, None
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    table = CorrelationRebuild._meta.db_table

    def write(done: int) -> None:
        try:
            with side.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET step = %s WHERE id = %s", [done, run_id])
        except Exception:  # noqa: BLE001 - progress is a courtesy, never fail the rebuild
            log.warning("could not write the progress of rebuild %s", run_id, exc_info=True)

    return write, side


def run_rebuild(run_id: int | None = None, *, actor=None, progress=None) -> CorrelationRebuild:
    """Run a rebuild: the queued one `run_id` (the worker), or a new one (the command).
    Audited with its figures; a failure is recorded on the run and raised again."""
    now = timezone.now()
    if run_id is None:
        run = CorrelationRebuild.objects.create(requested_by=actor, requested_at=now)
    else:
        run = CorrelationRebuild.objects.get(pk=run_id)
        if run.state != RebuildState.QUEUED:
            return run
    CorrelationRebuild.objects.filter(pk=run.pk).update(state=RebuildState.RUNNING,
                                                        started_at=now, step=0)
    side_write, side = _side_progress(run.pk)

    def step(done: int) -> None:
        if side_write is not None:
            side_write(done)
        if progress is not None:
            progress(done, REBUILD_STEPS[done] if done < len(REBUILD_STEPS) else "")

    try:
        figures = rebuild(progress=step)
    except Exception as exc:
        CorrelationRebuild.objects.filter(pk=run.pk).update(
            state=RebuildState.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
        log.exception("correlation rebuild %s failed", run.pk)
        raise
    finally:
        if side is not None:
            side.close()
    with transaction.atomic():
        CorrelationRebuild.objects.filter(pk=run.pk).update(
            state=RebuildState.DONE, finished_at=timezone.now(), step=len(REBUILD_STEPS),
            links=figures["links"], proposals=figures["proposals"])
        run.refresh_from_db()
        audit.record(actor=run.requested_by, action="correlation.rebuild", obj=run,
                     after={"links": run.links, "proposals": run.proposals,
                            "seconds": round((run.finished_at - run.started_at)
                                             .total_seconds(), 1)})
    return run
