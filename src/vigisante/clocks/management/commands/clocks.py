"""`vigisante clocks recompute|scan`: maintenance of the regulatory clocks."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from vigisante.clocks import services


class Command(BaseCommand):
    help = "Recompute every report's clocks (backfill), or run one reminder scan now."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="Derive the clocks of every sector report.")
        recompute.add_argument("--missing", action="store_true",
                               help="Only reports that have no clocks yet.")
        sub.add_parser("scan", help="Send the reminders due now (what the worker does).")

    def handle(self, *args, action: str, **options) -> None:
        if action == "recompute":
            count = services.recompute_all(only_missing=options.get("missing", False))
            self.stdout.write(f"clocks recomputed for {count} reports")
        else:
            self.stdout.write(json.dumps(services.scan_and_remind(worker="clocks-scan")))
