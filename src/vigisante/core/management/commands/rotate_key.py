"""`vigisante rotate-key`: re-encrypt the second-factor secrets and the attachments under the
current (first) key of VIGISANTE_ENCRYPTION_KEYS; `--status` only counts; `--generate`
prints a new key."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from vigisante.core import audit, crypto


class Command(BaseCommand):
    help = ("Re-encrypt the second-factor secrets and attachments under the first key of "
            "VIGISANTE_ENCRYPTION_KEYS (clear ones included). Safe to interrupt and to run "
            "again; safe while the site runs.")

    def add_arguments(self, parser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--status", action="store_true",
                           help="Only count what is under which key; exit 1 while anything "
                                "is not under the current key.")
        group.add_argument("--generate", action="store_true",
                           help="Print a new random key (to put first in "
                                "VIGISANTE_ENCRYPTION_KEYS) and exit.")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary.")

    def handle(self, *args, **options) -> None:
        if options["generate"]:
            self.stdout.write(crypto.generate_key())
            return
        keys = crypto.ring()
        current = keys.current_id.hex()
        if options["status"]:
            inv = crypto.inventory()
            pending = inv.pending(current)
            if options["json"]:
                self.stdout.write(json.dumps({"current_key": current, "keys": keys.ids,
                                              "files": inv.files, "secrets": inv.secrets,
                                              "unreadable": inv.unreadable,
                                              "pending": pending}))
            else:
                self.stdout.write(f"current key {current}; configured keys: "
                                  f"{', '.join(keys.ids)}")
                self.stdout.write(f"attachment files by key: {_counts(inv.files)}")
                self.stdout.write(f"second-factor secrets by key: {_counts(inv.secrets)}")
                for path in inv.unreadable:
                    self.stdout.write(f"damaged file header: {path}")
                self.stdout.write(
                    "everything is under the current key: older keys may be removed"
                    if not pending and not inv.unreadable else
                    f"{pending} item(s) not under the current key: run `vigisante rotate-key`")
            if pending or inv.unreadable:
                raise SystemExit(1)
            return

        def progress(text: str) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"re-encrypted {text}")

        result = crypto.rotate(progress=progress)
        if result.files or result.secrets or result.errors:
            audit.record(actor=None, action="encryption.rotated", object_type="encryption_key",
                         object_id=current,
                         after={"files": result.files, "secrets": result.secrets,
                                "errors": len(result.errors), "keys": keys.ids})
        if options["json"]:
            self.stdout.write(json.dumps({"current_key": current, **vars(result)}))
        else:
            self.stdout.write(f"re-encrypted under key {current}: {result.files} file(s), "
                              f"{result.secrets} secret(s); {result.skipped} already under it"
                              + (f"; {result.changed_meanwhile} changed meanwhile (run again)"
                                 if result.changed_meanwhile else ""))
        if result.errors:
            for error in result.errors[:20]:
                self.stderr.write(error)
            raise CommandError(f"{len(result.errors)} item(s) could not be decrypted with the "
                               "configured keys: add the key they name to "
                               "VIGISANTE_ENCRYPTION_KEYS and run again")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "none"
