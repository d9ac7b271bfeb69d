"""`vigisante audit verify`: walk the hash chain of the audit trail (after chaining the
journaled events, unless --no-flush); `vigisante audit flush`: chain the journaled events.

Exit status 0 when the chain is intact; 1 when an event was altered, deleted or inserted,
naming the first one (on stderr).
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from vigisante.core import audit


class Command(BaseCommand):
    help = "Audit trail tools. `verify`: check the hash chain (exit 0 intact, 1 broken)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the chain and report the first event "
                                               "altered, deleted or inserted.")
        verify.add_argument("--chunk", type=int, default=5000,
                            help="Events read per query (memory bound). Default 5000.")
        verify.add_argument("--json", action="store_true", help="Print the result as JSON.")
        verify.add_argument("--no-flush", action="store_true",
                            help="Do not chain the journaled events first (read only).")
        sub.add_parser("flush", help="Chain the journaled events (reads, refusals) now; the "
                                     "worker does it every second.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "flush":
            self.stdout.write(f"{audit.flush()} journaled events chained")
            return
        if action != "verify":  # pragma: no cover - argparse restricts the choices
            raise CommandError(f"unknown action {action}")
        if options["chunk"] < 1:
            raise CommandError("--chunk must be at least 1.")
        if not options["no_flush"]:
            audit.flush()
        result = audit.verify(chunk=options["chunk"])
        if options["json"]:
            self.stdout.write(json.dumps({
                "ok": result.ok, "checked": result.checked, "first_bad_id": result.first_bad_id,
                "kind": result.kind, "problem": result.problem, "head": result.head_hash}))
        if result.ok:
            if not options["json"]:
                self.stdout.write(str(result))
            return
        if not options["json"]:
            self.stderr.write(str(result))
        sys.exit(1)
