"""`vigisante restore ARCHIVE [--force]`: put back what `vigisante backup` saved."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vigisante.core import backup


class Command(BaseCommand):
    help = ("Restore a `vigisante backup` archive: every checksum is checked before anything "
            "is touched; a non-empty database is replaced only with --force. Stop the site "
            "and the worker first.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="The .tar.gz written by `vigisante backup`.")
        parser.add_argument("--force", action="store_true",
                            help="Replace a database that is not empty.")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary.")

    def handle(self, *args, archive: str, **options) -> None:
        try:
            summary = backup.restore(Path(archive), force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(vars(summary)))
        else:
            self.stdout.write(f"restored {summary.path}: {summary.engine} database, "
                              f"{summary.files} attachment file(s); audit chain intact, "
                              f"{summary.audit_events} events (head {summary.audit_head})")
