"""What the two import commands share: skip messages, progress bar, final summary."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from vigisante.observatory.importers import Stats

MAX_SKIP_LINES = 1000  # further skipped records are only counted


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
