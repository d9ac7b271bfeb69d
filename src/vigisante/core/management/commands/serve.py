"""`vigisante serve`: the site behind gunicorn (never runserver), static files included."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vigisante.core import server


def add_server_arguments(parser, *, default_host: str = "127.0.0.1") -> None:
    parser.add_argument("--host", default=default_host,
                        help=f"Address to listen on (default {default_host}; 0.0.0.0 for all).")
    parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
    parser.add_argument("--workers", type=int, default=None,
                        help="Server processes (default VIGISANTE_WORKERS, else 2 x cores + 1).")
    parser.add_argument("--threads", type=int, default=4,
                        help="Threads per process (default 4).")
    parser.add_argument("--with-worker", action="store_true",
                        help="Also run `vigisante worker` (background tasks) beside the server.")


def workers_from(options) -> int:
    try:
        workers = options["workers"] or server.default_workers()
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if workers < 1:
        raise CommandError("--workers must be at least 1.")
    return workers


class Command(BaseCommand):
    help = ("Run the site with a production server (gunicorn, gthread workers): collects "
            "static files, applies pending migrations, then serves until Ctrl+C / SIGTERM.")

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument("--no-migrate", action="store_true",
                            help="Do not apply pending migrations first.")

    def handle(self, *args, **options):
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        workers = workers_from(options)
        db = settings.DATABASES["default"]
        self.stderr.write(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME', '')}")
        server.prepare(migrate=not options["no_migrate"])
        url = server.site_url(options["host"], options["port"])
        self.stdout.write(f"Vigisanté is serving on {url} ({workers} workers; Ctrl+C to stop)")
        self.stdout.flush()
        server.run(host=options["host"], port=options["port"], workers=workers,
                   threads=options["threads"], with_worker=options["with_worker"])
