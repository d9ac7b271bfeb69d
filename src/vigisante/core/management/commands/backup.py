"""`vigisante backup [--out FILE]`: database, audit chain and attachments in one archive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vigisante.core import backup


class Command(BaseCommand):
    help = ("Write the database (with its audit chain) and the attachments to one archive "
            "(.tar.gz, mode 600) with a manifest and SHA-256 checksums. Safe while the site "
            "runs.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", default=None,
                            help="Archive to write (must not exist). Default: "
                                 "vigisante-backup-<UTC time>.tar.gz in the current folder.")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary.")

    def handle(self, *args, **options) -> None:
        out = options["out"] or dt.datetime.now(dt.UTC).strftime(
            "vigisante-backup-%Y%m%dT%H%M%SZ.tar.gz")
        try:
            summary = backup.backup(Path(out))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(vars(summary)))
        else:
            self.stdout.write(f"backup written to {summary.path}: {summary.engine} database, "
                              f"{summary.files} attachment file(s), {summary.audit_events} "
                              f"audit events (head {summary.audit_head})")
