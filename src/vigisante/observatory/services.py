"""Use cases of the observatory: build a report for a period and a source, internal or
public. Views, the API and the `observatory` command all go through `build_report`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

import vigisante
from vigisante.core.taxonomy import rsit
from vigisante.observatory import domain, external, queries, sector, sector_more, snapshot
from vigisante.observatory.tables import Section, apply_public, section_json
from vigisante.reports.models import Source

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
SOURCES = (Source.SECTOR, Source.VERIS, Source.HHS)


@dataclass
class ObservatoryReport:
    period: domain.Period
    source: str
    public: bool
    health_only: bool
    sections: list[Section]
    snapshot: str
    records: int
    meta: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        """Every number of every table, machine-readable (codes, not translated labels)."""
        return {"about": self.meta, "sections": [section_json(s) for s in self.sections]}


def time_zone() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def default_year(today: dt.date) -> int:
    """The year the staff page opens on: the latest published year; before any publication,
    the last complete year, or the year of the latest sector report when that is earlier
    (never an empty current year)."""
    from django.db.models import Max

    from vigisante.reports.models import Report

    published_year = latest_published_year()
    if published_year is not None:
        return published_year

    latest = Report.objects.filter(source=Source.SECTOR).aggregate(
        latest=Max("created_at"))["latest"]
    year = today.year - 1
    if latest is not None:
        year = min(year, latest.astimezone(time_zone()).year)
    return year


def build_report(period: domain.Period, *, source: str = Source.SECTOR, public: bool = False,
                 health_only: bool = False, published: dict[int, dict] | None = None,
                 progress: Callable[[int], None] | None = None) -> ObservatoryReport:
    """Compute every section of the report (a bounded number of aggregate queries).

    `published` (year -> figures.json of its published version) makes a public report of a
    calendar year take the figures of other years (previous year, origin trend) from their
    publications instead of recomputing them. `progress` receives a percentage (0-90).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    tz = time_zone()
    qs = queries.reports_in(period, tz, source, health_only=health_only)
    ctx = sector.Context(period=period, tz=tz, source=source, internal=not public, qs=qs,
                         scalars=queries.scalars(qs), health_only=health_only)
    if source == Source.SECTOR:
        sections = _sector_sections(ctx, progress)
    else:
        sections = external.build_sections(ctx)
    if published is not None:
        copy_published(sections, period, published)
    if progress:
        progress(75)
    if public:
        apply_public(sections)
    digest, records = snapshot.snapshot(qs, source)
    report = ObservatoryReport(period, source, public, health_only, sections, digest, records)
    report.meta = _meta(report, tz)
    return report


def _sector_sections(ctx: sector.Context,
                     progress: Callable[[int], None] | None = None) -> list[Section]:
    kinds = queries.by_kind(ctx.qs)
    steps: list[Callable[[], Section]] = [
        lambda: sector.totals(ctx), lambda: sector.structures(ctx),
        lambda: sector.categories(ctx), lambda: sector.regions(ctx),
        lambda: sector.origin(ctx, kinds), lambda: sector.malicious(ctx, kinds),
        lambda: sector.non_malicious(ctx, kinds), lambda: sector.operations(ctx),
        lambda: sector_more.patients(ctx), lambda: sector_more.data(ctx),
        lambda: sector_more.systems(ctx), lambda: sector_more.support(ctx),
        lambda: sector_more.detection(ctx), lambda: sector_more.clocks(ctx),
        lambda: sector_more.campaigns(ctx),
    ]
    sections = []
    for i, step in enumerate(steps, start=1):
        sections.append(step())
        if progress:
            progress(60 * i // len(steps))
    return sections


def _published_cell(figures: dict | None, table: str, row: str, col: str) -> Any:
    for section in (figures or {}).get("sections", []):
        for t in section["tables"]:
            if t["id"] == table:
                for r in t["rows"]:
                    if r["key"] == row:
                        return r.get(col)
    return None


def copy_published(sections: list[Section], period: domain.Period,
                   published: dict[int, dict]) -> None:
    """Cells about other years take the value their own publication shows (hidden ones stay
    hidden), so a publication never adds a figure about another year: nothing to subtract."""
    if not period.is_calendar_year:
        return
    year = period.start.year
    for section in sections:
        for table in section.tables:
            if table.id == "01_totals":
                prev = _published_cell(published.get(year - 1), "01_totals", "period",
                                       "reports")
                current = table.value("period", "reports")
                table.copied[table.cell_id("period", "previous")] = prev
                table.copied[table.cell_id("period", "change")] = (
                    domain.change(current, prev) if isinstance(prev, int) else None)
            elif table.id == "05_trend":
                for row in table.rows:
                    if row.key == str(year):
                        continue
                    for col in table.columns:
                        table.copied[table.cell_id(row.key, col.key)] = _published_cell(
                            published.get(int(row.key)), "05_trend", row.key, col.key)


def _meta(report: ObservatoryReport, tz: dt.tzinfo) -> dict[str, Any]:
    prev = report.period.previous()
    meta: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "period": {"start": report.period.start.isoformat(),
                   "end": report.period.last.isoformat(),
                   "previous_start": prev.start.isoformat(),
                   "previous_end": prev.last.isoformat(),
                   "date": "received_at" if report.source == Source.SECTOR else "incident_date",
                   "time_zone": str(tz)},
        "source": report.source,
        "version": "public" if report.public else "internal",
        "snapshot": {"sha256": report.snapshot, "records": report.records},
        "taxonomy": {"name": "RSIT", "version": rsit().version},
        "software": {"name": "vigisante", "version": vigisante.__version__},
    }
    if report.health_only:
        meta["health_only"] = True
    if report.public:
        meta["suppression"] = {"threshold": domain.THRESHOLD, "primary": "< 5",
                               "secondary": "s"}
    return meta


# -- stored snapshots and publication ---------------------------------------------------------

LANGUAGES = ("fr", "en")


class ObservatoryError(Exception):
    """A use case refused, with a message for the user."""


def _record(actor, action: str, snap, after: dict[str, Any]) -> None:
    from vigisante.core import audit

    audit.record(actor=actor, action=action, obj=snap, after=after)


def _enqueue(snap) -> None:
    from vigisante.observatory.tasks import compute_snapshot as task

    task.enqueue(snap.pk)


def _same_params(period: domain.Period, source: str, public: bool, health_only: bool):
    from vigisante.observatory.models import Snapshot

    return Snapshot.objects.filter(
        purpose=Snapshot.Purpose.WORKING, source=source, first_day=period.start,
        last_day=period.last, public=public, health_only=health_only)


def working_snapshot(period: domain.Period, *, source: str = Source.SECTOR,
                     public: bool = False, health_only: bool = False):
    """(latest ready snapshot or None, snapshot being computed or None) of a free period."""
    from vigisante.observatory.models import Snapshot

    qs = _same_params(period, source, public, health_only)
    ready = qs.filter(state=Snapshot.State.DONE).order_by("-finished_at", "-pk").first()
    pending = qs.filter(state__in=(Snapshot.State.QUEUED, Snapshot.State.RUNNING)) \
        .order_by("-pk").first()
    return ready, pending


def request_snapshot(*, actor, period: domain.Period, source: str = Source.SECTOR,
                     public: bool = False, health_only: bool = False, now: dt.datetime):
    """Queue the computation of a free period for CERT staff (one at a time per period)."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from vigisante.observatory import access as policy
    from vigisante.observatory.models import Snapshot

    if not policy.may_compute(actor):
        raise PermissionDenied
    if source not in SOURCES:
        raise ObservatoryError("unknown source")
    with transaction.atomic():
        _ready, pending = working_snapshot(period, source=source, public=public,
                                           health_only=health_only)
        if pending is not None:
            return pending
        snap = Snapshot.objects.create(
            purpose=Snapshot.Purpose.WORKING, source=source, first_day=period.start,
            last_day=period.last, public=public, health_only=health_only,
            requested_by=actor, requested_at=now)
        _enqueue(snap)
    return snap


def published(year: int | None = None):
    """Published versions, newest year and version first."""
    from vigisante.observatory.models import Snapshot

    qs = Snapshot.objects.filter(purpose=Snapshot.Purpose.PUBLICATION,
                                 published_at__isnull=False)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "-version")


def latest_published(year: int):
    return published(year).first()


def latest_published_year() -> int | None:
    snap = published().first()
    return snap.year if snap else None


def file_bytes(snap, name: str) -> bytes | None:
    from vigisante.observatory.models import SnapshotFile

    row = SnapshotFile.objects.filter(snapshot=snap, name=name).values_list(
        "content", flat=True).first()
    return bytes(row) if row is not None else None


class _StoredBytes:
    """Stored files by their sha256 (content-addressed, so never stale), least recently
    used dropped first beyond `limit` bytes: serving a published page or figures.json then
    reads only the names and hashes of its files, never the bytes again."""

    def __init__(self, limit: int) -> None:
        import threading
        from collections import OrderedDict

        self.limit = limit
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, sha256: str, load: Callable[[], bytes | None]) -> bytes | None:
        with self.lock:
            data = self.items.get(sha256)
            if data is not None:
                self.items.move_to_end(sha256)
                return data
        data = load()
        if data is None or len(data) > self.limit // 4:
            return data
        with self.lock:
            if sha256 not in self.items:
                self.items[sha256] = data
                self.size += len(data)
                while self.size > self.limit:
                    _key, old = self.items.popitem(last=False)
                    self.size -= len(old)
        return data


STORED = _StoredBytes(limit=16 * 2**20)


def stored_bytes(snapshot_id: int, name: str, sha256: str) -> bytes | None:
    """A stored file of a snapshot whose hash is known (its bytes read once a process)."""
    from vigisante.observatory.models import SnapshotFile

    def load() -> bytes | None:
        row = SnapshotFile.objects.filter(snapshot_id=snapshot_id, name=name).values_list(
            "content", flat=True).first()
        return bytes(row) if row is not None else None

    return STORED.get(sha256, load)


def published_with_files(year: int) -> tuple[list, dict[int, dict[str, tuple[str, int]]]]:
    """The published versions of a year, newest first, and the names, hashes and sizes of
    each one's files, in one query (the files joined to their version; no bytes read)."""
    from vigisante.observatory.models import Snapshot, SnapshotFile

    rows = (SnapshotFile.objects.filter(snapshot__purpose=Snapshot.Purpose.PUBLICATION,
                                        snapshot__published_at__isnull=False,
                                        snapshot__year=year)
            .select_related("snapshot").defer("content")
            .order_by("-snapshot__version", "name"))
    versions: list = []
    files: dict[int, dict[str, tuple[str, int]]] = {}
    for f in rows:
        if f.snapshot_id not in files:
            versions.append(f.snapshot)
            files[f.snapshot_id] = {}
        files[f.snapshot_id][f.name] = (f.sha256, f.size)
    return versions, files


def published_figures_file(year: int, version: int | None = None) -> tuple[int, str] | None:
    """(snapshot id, sha256) of figures.json of a published version of a year (the latest
    by default), in one query."""
    from vigisante.observatory.models import Snapshot, SnapshotFile

    qs = SnapshotFile.objects.filter(name="figures.json",
                                     snapshot__purpose=Snapshot.Purpose.PUBLICATION,
                                     snapshot__published_at__isnull=False, snapshot__year=year)
    if version is not None:
        qs = qs.filter(snapshot__version=version)
    row = qs.order_by("-snapshot__version").values_list("snapshot_id", "sha256").first()
    return (row[0], row[1]) if row is not None else None


def published_figures(years) -> dict[int, dict]:
    """year -> figures.json of its latest published version (for the years published)."""
    import json

    out = {}
    for year in years:
        snap = latest_published(year)
        if snap is not None:
            out[year] = json.loads(file_bytes(snap, "figures.json"))
    return out


def snapshot_or_none(pk: int):
    from vigisante.observatory.models import Snapshot

    return Snapshot.objects.filter(pk=pk).first()


def prepare_publication(*, actor, year: int, note: str = "", now: dt.datetime,
                        enqueue: bool = True):
    """Queue the public snapshot of a finished calendar year, as a draft for review. When
    the year is already published, the draft is a correction: its note says what changed."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from django.db.models import Max
    from django.utils.translation import gettext as _

    from vigisante.observatory import access as policy
    from vigisante.observatory.models import Snapshot

    if not policy.may_publish(actor):
        raise PermissionDenied
    if year >= now.astimezone(time_zone()).year or year < 1990:
        raise ObservatoryError(_("Only a finished calendar year can be published."))
    note = (note or "").strip()
    with transaction.atomic():
        pubs = Snapshot.objects.select_for_update().filter(
            purpose=Snapshot.Purpose.PUBLICATION, year=year)
        if pubs.filter(published_at__isnull=False).exists() and not note:
            raise ObservatoryError(_("This year is already published: a correction needs a "
                                     "note saying what changed."))
        pubs.filter(published_at__isnull=True).delete()  # an older draft, never public
        version = (pubs.filter(published_at__isnull=False).aggregate(v=Max("version"))["v"]
                   or 0) + 1
        period = domain.Period.year(year)
        snap = Snapshot.objects.create(
            purpose=Snapshot.Purpose.PUBLICATION, source=Source.SECTOR,
            first_day=period.start, last_day=period.last, public=True, year=year,
            version=version, note=note, requested_by=actor, requested_at=now)
        _record(actor, "observatory.prepare", snap,
                {"year": year, "version": version, "note": note})
        if enqueue:
            _enqueue(snap)
    return snap


def publish(*, actor, snapshot_id: int, now: dt.datetime):
    """Publish a reviewed draft: from now on it is public and frozen."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from django.utils.translation import gettext as _

    from vigisante.observatory import access as policy
    from vigisante.observatory.models import Snapshot

    if not policy.may_publish(actor):
        raise PermissionDenied
    with transaction.atomic():
        snap = Snapshot.objects.select_for_update().filter(
            pk=snapshot_id, purpose=Snapshot.Purpose.PUBLICATION).first()
        if snap is None:
            raise ObservatoryError(_("No such draft."))
        if snap.published_at is not None:
            raise ObservatoryError(_("This version is already published."))
        if snap.state != Snapshot.State.DONE:
            raise ObservatoryError(_("The draft is not ready yet."))
        snap.published_at, snap.published_by = now, actor
        snap.save(update_fields=["published_at", "published_by"])
        files = dict(snap.files.values_list("name", "sha256"))
        _record(actor, "observatory.publish", snap, {
            "year": snap.year, "version": snap.version, "note": snap.note,
            "data_sha256": snap.data_sha256, "files": files})
    return snap


def _files_of(report: ObservatoryReport, progress: Callable[[int], None]) -> dict[str, bytes]:
    import io
    import zipfile

    from django.utils import translation

    from vigisante.observatory import render

    files = {"figures.json": render.figures_json(report).encode()}
    pdf_languages = getattr(settings, "OBSERVATORY_PDF_LANGUAGES", LANGUAGES)
    for step, lang in enumerate(LANGUAGES, start=1):
        with translation.override(lang):
            ctx = render.context(report)  # the charts drawn once for the page, HTML and PDF
            document, page = render.html_and_page(report, ctx)
            files[f"report.{lang}.html"] = document.encode()
            files[f"page.{lang}.html"] = page.encode()
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for name, text in sorted(render.csv_files(report).items()):
                    z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text)
            files[f"tables.{lang}.zip"] = buf.getvalue()
            if lang in pdf_languages:
                files[f"report.{lang}.pdf"] = render.pdf(report, ctx)
        progress(75 + 25 * step // len(LANGUAGES))
    return files


def compute_snapshot(snapshot_id: int) -> str:
    """The worker's side: compute the report of a snapshot and store every file. Progress
    is written as it goes (the page shows it). A published snapshot is never recomputed."""
    import hashlib

    from django.db import transaction
    from django.utils import timezone

    from vigisante.observatory.models import Snapshot, SnapshotFile

    snap = Snapshot.objects.filter(pk=snapshot_id).first()
    if snap is None or snap.state == Snapshot.State.DONE or snap.published_at:
        return "skipped"
    Snapshot.objects.filter(pk=snap.pk).update(state=Snapshot.State.RUNNING, progress=1)

    def progress(percent: int) -> None:
        Snapshot.objects.filter(pk=snap.pk).update(progress=max(1, min(99, percent)))

    try:
        period = domain.Period.between(snap.first_day, snap.last_day)
        copies = None
        if snap.purpose == Snapshot.Purpose.PUBLICATION:
            copies = published_figures(y for y in period.trend_years(6) if y != snap.year)
        report = build_report(period, source=snap.source, public=snap.public,
                              health_only=snap.health_only, published=copies,
                              progress=progress)
        files = _files_of(report, progress)
    except Exception as exc:  # noqa: BLE001 - the page shows the failure, the log the trace
        log.exception("observatory snapshot %s failed", snap.pk)
        Snapshot.objects.filter(pk=snap.pk).update(state=Snapshot.State.FAILED,
                                                   error=str(exc)[:2000])
        return "failed"
    with transaction.atomic():
        locked = Snapshot.objects.select_for_update().filter(pk=snap.pk).first()
        if locked is None or locked.state == Snapshot.State.DONE:
            return "skipped"  # deleted (a newer draft replaced it) or done meanwhile
        SnapshotFile.objects.bulk_create([
            SnapshotFile(snapshot=locked, name=name, content=content, size=len(content),
                         sha256=hashlib.sha256(content).hexdigest())
            for name, content in sorted(files.items())])
        locked.state, locked.progress = Snapshot.State.DONE, 100
        locked.data_sha256, locked.records = report.snapshot, report.records
        locked.finished_at = timezone.now()
        locked.save(update_fields=["state", "progress", "data_sha256", "records",
                                   "finished_at"])
    return "done"
