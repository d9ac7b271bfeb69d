"""`vigisante demo`: a ready-to-try site with synthetic data, in one command."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vigisante.config import env
from vigisante.core import server, staticfiles
from vigisante.core.management.commands.serve import add_server_arguments, workers_from
from vigisante.demo import load as demo_load
from vigisante.demo import taxii as demo_taxii
from vigisante.demo.data import DEMO_PASSWORD, generate


class Command(BaseCommand):
    help = ("Create the data folder and its SQLite database, load synthetic demo data (once), "
            "print the URL and the demo logins, then serve the site on 127.0.0.1:8000.")

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument("--no-serve", action="store_true",
                            help="Prepare everything, print the logins and stop.")
        parser.add_argument("--json", action="store_true",
                            help="Print one JSON object (url, accounts, taxii, feeds) on "
                                 "stdout; progress goes to stderr.")
        parser.add_argument("--use-database-url", action="store_true",
                            help="Load the demo into the database of VIGISANTE_DATABASE_URL "
                                 "(by default the demo refuses it and uses embedded SQLite).")

    def handle(self, *args, **options):
        started = time.monotonic()
        if env.get("VIGISANTE_DATABASE_URL") and not options["use_database_url"]:
            # Demo accounts have public passwords: never load them into a real database by
            # accident because the variable was left set.
            raise CommandError(
                "vigisante demo uses the embedded SQLite database of VIGISANTE_DATA_DIR, but "
                "VIGISANTE_DATABASE_URL is set. Unset it, or pass --use-database-url to load "
                "the synthetic data and its public demo logins into that database on purpose.")
        url = server.site_url(options["host"], options["port"])
        # The static files are compressed in another process while the data loads.
        static = None if options["no_serve"] else staticfiles.Collecting()
        # Only the final answer goes to stdout: migrations and progress go to stderr.
        try:
            with contextlib.redirect_stdout(sys.stderr):
                accounts = self._prepare(options)
                sharing = demo_taxii.prepare(url)
        except BaseException:
            if static is not None:
                static.cancel()
            raise
        if not env.get("VIGISANTE_SITE_URL"):
            # links in e-mails point at this demo (server processes and the task worker)
            settings.SITE_URL = os.environ["VIGISANTE_SITE_URL"] = url.rstrip("/")
        if options["json"]:
            self.stdout.write(json.dumps({"url": url, "accounts": accounts, **sharing},
                                         ensure_ascii=False))
        else:
            self._print_logins(url, accounts)
            self._print_sharing(sharing)
        if static is not None:
            static.finish()
        self.stderr.write(f"Ready in {time.monotonic() - started:.1f} s.")
        if options["no_serve"]:
            return
        workers = workers_from(options)
        if not options["json"]:
            self.stdout.write(f"Serving {url} with synthetic data - Ctrl+C to stop.")
        self.stdout.flush()
        server.prepare(migrate=False)
        server.run(host=options["host"], port=options["port"], workers=workers,
                   threads=options["threads"], with_worker=True)

    def _prepare(self, options) -> list[dict]:
        log = self.stderr.write
        log(f"Data folder: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        data = generate(timezone.now())
        try:
            summary = demo_load.seed(data, log=lambda m: log(f"  {m}"))
        except demo_load.DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if summary is None:
            log("Synthetic data already loaded (nothing added).")
        else:
            log(f"Loaded synthetic data: {summary['establishments']} establishments, "
                f"{summary['reports']} reports.")
        accounts = demo_load.refresh_accounts(data)
        self._publish_observatory(log)
        return accounts

    def _publish_observatory(self, log) -> None:
        """Every finished year with sector reports gets its public snapshot, published as
        the demo admin would once the worker has computed it (the site's worker, a few
        minutes after the start): observers and the public see the figures."""
        from django.db.models import Count
        from django.db.models.functions import ExtractYear

        from vigisante.accounts.models import Role, User
        from vigisante.demo.tasks import compute_and_publish
        from vigisante.observatory import services as observatory
        from vigisante.reports.models import Report

        admin = User.objects.filter(role=Role.ADMIN, email__endswith="@demo.example.org") \
            .order_by("pk").first()
        if admin is None:
            return
        now = timezone.now()
        years = sorted(
            y for y in Report.objects.filter(source="sector")
            .annotate(y=ExtractYear("created_at", tzinfo=observatory.time_zone()))
            .values("y").annotate(n=Count("id")).order_by().values_list("y", flat=True)
            if y < now.astimezone(observatory.time_zone()).year
            and observatory.latest_published(y) is None)
        for year in years:  # oldest first: a year copies the previous one's published total
            snap = observatory.prepare_publication(actor=admin, year=year, now=now,
                                                   enqueue=False)
            compute_and_publish.enqueue(snap.pk, admin.pk)
        if years:
            log(f"Observatory: {len(years)} years ({years[0]}-{years[-1]}) queued for "
                "publication; the worker publishes them once computed.")

    def _print_sharing(self, sharing: dict) -> None:
        w = self.stdout.write
        taxii, feeds = sharing["taxii"], sharing["feeds"]
        w(f"TAXII 2.1: {taxii['url']} - machine account {taxii['username']} (HTTP Basic, "
          f"password above) or the header 'Authorization: Token {taxii['token']}'")
        w(f"Feeds (same token): {feeds['text']} ; MISP feed: {feeds['misp']}")
        own = taxii.get("establishment_account")
        if own:
            w(f"Establishment machine account (a firewall of {own['establishment']}): "
              f"{own['username']} (same password) or 'Authorization: Token {own['token']}'; "
              f"it reads its establishment's own collection {own['collection']} and gets 404 "
              "on any other establishment's")
        w("")

    def _print_logins(self, url: str, accounts: list[dict]) -> None:
        w = self.stdout.write
        w("")
        w(f"Vigisanté demo (synthetic data only): {url}")
        w(f"Every demo account has the password: {DEMO_PASSWORD}")
        for a in accounts:
            where = f" - {'; '.join(a['establishments'])}" if a["establishments"] else ""
            if a.get("scope"):
                where = f" - {a['scope']['authority'].upper()} {a['scope']['region']}".rstrip()
            w(f"  {a['role']:<9} {a['email']}{where}")
        w("")
        w("Analysts, admins and authorities also pass a second factor (TOTP). Either add "
          "their secret to an authenticator app (FreeOTP, Aegis, Google Authenticator: "
          "'enter a setup key', time-based, 6 digits, 30 s):")
        for a in accounts:
            if "totp_secret" in a:
                w(f"  {a['email']}: {a['totp_secret']}")
                w(f"    (set-up link for a QR code: {a['totp_uri']})")
        w("or print the current code with: vigisante demo-otp analyste@demo.example.org")
        w("")
        w("API tokens (header 'Authorization: Token <token>'; new ones on every run):")
        for a in accounts:
            w(f"  {a['email']}: {a['token']}")
        w("")
