"""What the two import commands share: skip messages, progress bar, final summary."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from vigisante.observatory.importers import Stats

MAX_SKIP_LINES = 1000  # further skipped records are only counted
MAX_WARNING_LINES = 40  # kinds of warning listed in the summary (all are counted)


class ImportCommand(BaseCommand):
    def on_skip_factory(self, quiet: bool):
        shown = {"n": 0}

        def on_skip(where: str, category: str, detail: str) -> None:
            shown["n"] += 1
            if quiet or shown["n"] > MAX_SKIP_LINES:
                return
            self.stderr.write(_("Skipped %(where)s: %(detail)s") % {
                "where": where, "detail": detail})
            if shown["n"] == MAX_SKIP_LINES:
                self.stderr.write(_("(further skipped records are only counted)"))

        return on_skip

    def summary(self, stats: Stats) -> None:
        self.stdout.write(_("Imported: %(created)d, updated: %(updated)d, unchanged: "
                            "%(unchanged)d, skipped: %(skipped)d.") % {
            "created": stats.created, "updated": stats.updated,
            "unchanged": stats.unchanged, "skipped": stats.skipped_total})
        for reason, n in sorted(stats.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            self.stdout.write(f"  {_('skipped')}: {n} — {reason}")

        if stats.duplicates:
            self.stdout.write(_("Identical copies of a record already read (counted once): "
                                "%(n)d.") % {"n": stats.duplicates})
        if stats.shared_ids:
            self.stdout.write(_("Records whose id another record already had (kept as "
                                "separate records, id suffixed ~2, ~3...): %(n)d.")
                              % {"n": stats.shared_ids})
        self._listed(stats.mapped_records, stats.mapped, _(
            "Mapped to VERIS 1.4.1 (values renamed or moved by a later schema): %(n)d "
            "records."), _("records mapped"))
        self._listed(stats.outside_records, stats.outside, _(
            "Warning: %(n)d records are outside the VERIS 1.4.1 schema; they are imported "
            "with their values kept as written and flagged \"outside the schema\"."),
            _("records"))

    def _listed(self, total: int, counts, headline: str, unit: str) -> None:
        if not total:
            return
        self.stdout.write(headline % {"n": total})
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        for text, n in ranked[:MAX_WARNING_LINES]:
            self.stdout.write(f"  {n} {unit}: {text}")
        if len(ranked) > MAX_WARNING_LINES:
            self.stdout.write("  " + _("(%(n)d further kinds, %(records)d occurrences)") % {
                "n": len(ranked) - MAX_WARNING_LINES,
                "records": sum(n for _t, n in ranked[MAX_WARNING_LINES:])})
