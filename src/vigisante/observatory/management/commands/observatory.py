"""`vigisante observatory --year 2023 --out DIR` (or --from/--to), `--public`,
`--source sector|veris|hhs`, `--lang fr|en`, `--no-pdf`.

Writes report.html, report.pdf, figures.json and one CSV per table into DIR.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _

from vigisante.observatory import domain, render, services


def parse_period(year: int | None, first: str | None, last: str | None) -> domain.Period:
    """The period of --year, or of --from/--to (both included)."""
    if year is not None and (first or last):
        raise CommandError(_("Give either --year or --from and --to, not both."))
    if year is not None:
        if not 1990 <= year <= 2100:
            raise CommandError(_("--year must be between 1990 and 2100."))
        return domain.Period.year(year)
    if not (first and last):
        raise CommandError(_("Give --year, or both --from and --to (YYYY-MM-DD)."))
    try:
        start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        return domain.Period.between(start, end)
    except ValueError as exc:
        raise CommandError(_("Invalid period: %(error)s (dates are YYYY-MM-DD).") % {
            "error": exc}) from None


def database_ready() -> None:
    """A clear error, not a traceback, when the database cannot be reached or its tables
    are missing or out of date (a fresh install before `vigisante migrate`)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise CommandError(_("The database cannot be read: %(error)s") % {
            "error": str(exc).strip()}) from None
    if pending:
        raise CommandError(_("The database is not set up yet (tables missing or out of "
                             "date): run `vigisante migrate` first, then import or enter "
                             "reports (`vigisante demo` gives a database with synthetic "
                             "data)."))


class Command(BaseCommand):
    help = ("Write the observatory report of a period (HTML, PDF, figures.json, one CSV per "
            "table) into a folder.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="calendar year, e.g. 2023")
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="last day (included), YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="output folder (created if needed)")
        parser.add_argument("--public", action="store_true",
                            help="public version: small counts suppressed, no narratives")
        parser.add_argument("--source", choices=services.SOURCES, default="sector",
                            help="sector reports (default) or imported veris/hhs records")
        parser.add_argument("--health-only", action="store_true",
                            help="imported records: health care victims only (NAICS 62)")
        parser.add_argument("--lang", choices=["fr", "en"], default="fr",
                            help="language of the HTML, PDF and CSV labels (default fr)")
        parser.add_argument("--no-pdf", action="store_true", help="skip the PDF")

    def handle(self, *args, year, first, last, out, public, source, health_only, lang,
               no_pdf, **options):
        with translation.override(lang):  # its messages too, French by default
            period = parse_period(year, first, last)
            database_ready()
            try:
                report = services.build_report(period, source=source, public=public,
                                               health_only=health_only)
            except DatabaseError as exc:
                raise CommandError(_("The database cannot be read: %(error)s") % {
                    "error": str(exc).strip()}) from None
            try:
                written = render.write_report(report, Path(out), with_pdf=not no_pdf)
            except OSError as exc:
                raise CommandError(_("Cannot write into %(dir)s: %(error)s") % {
                    "dir": out, "error": exc.strerror or exc}) from None
            self.stdout.write(_("%(n)d files written into %(dir)s (snapshot sha256:%(hash)s, "
                                "%(records)d records).") % {
                "n": len(written), "dir": out, "hash": report.snapshot,
                "records": report.records})
