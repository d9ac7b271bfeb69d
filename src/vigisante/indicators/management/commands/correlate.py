"""`vigisante correlate --rebuild`: recompute every link between reports and the proposed
campaigns, here and now (the page queues the same work for the worker)."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Recompute every link between reports (shared indicators, suppliers, kinds on a "
            "system) and the proposed campaigns, from scratch, in one transaction.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true",
                            help="drop every link and compute them all again (required)")
        parser.add_argument("--queue", action="store_true",
                            help="leave the work to `vigisante worker` instead of doing it here")
        parser.add_argument("--as", dest="email", default="",
                            help="the CERT staff account the audit trail names (optional)")
        parser.add_argument("--json", action="store_true",
                            help="print the figures as one JSON object")

    def handle(self, *args, rebuild: bool, queue: bool, email: str, json: bool, **options):
        from vigisante.indicators import services

        if not rebuild:
            raise CommandError("say what to do: `vigisante correlate --rebuild`")
        actor = self._actor(email)
        if queue:
            if actor is None:
                raise CommandError("--queue needs --as EMAIL (a CERT staff account)")
            run, queued = services.request_rebuild(actor=actor)
            self.stdout.write(f"rebuild #{run.pk} {'queued' if queued else 'already ' + run.state}"
                              " (run `vigisante worker`)")
            return
        started = time.monotonic()
        total = len(services.REBUILD_STEPS)

        def progress(done: int, name: str) -> None:
            if name:
                sys.stderr.write(f"[{done + 1}/{total}] {name}...\n")

        try:
            run = services.run_rebuild(actor=actor, progress=progress)
        except Exception as exc:  # noqa: BLE001 - recorded on the run; say it plainly here
            raise CommandError(f"the rebuild failed, nothing was changed: {exc}") from exc
        figures = {"rebuild": run.pk, "links": run.links, "proposals": run.proposals,
                   "seconds": round(time.monotonic() - started, 1)}
        if json:
            self.stdout.write(_dumps(figures))
        else:
            self.stdout.write(f"{run.links} links, {run.proposals} new proposed campaigns, "
                              f"in {figures['seconds']} s (rebuild #{run.pk}, audited)")

    def _actor(self, email: str):
        if not email:
            return None
        from vigisante.accounts.models import User

        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None or not user.is_cert_staff:
            raise CommandError(f"no active CERT staff account {email!r}")
        return user


def _dumps(obj) -> str:
    return json.dumps(obj)
