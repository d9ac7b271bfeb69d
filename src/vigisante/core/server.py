"""The production server behind `vigisante serve` and `vigisante demo`: gunicorn, gthread.

Static files are collected into STATIC_ROOT and served by WhiteNoise from the same process;
pending migrations are applied first unless told not to.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command, get_commands
from gunicorn.app.base import BaseApplication

from vigisante.config import env


def default_workers() -> int:
    """VIGISANTE_WORKERS, else 2 x cores + 1 (gunicorn's advice)."""
    configured = env.get("VIGISANTE_WORKERS").strip()
    if configured:
        value = int(configured)
        if value < 1:
            raise ValueError("VIGISANTE_WORKERS must be at least 1")
        return value
    return 2 * (os.cpu_count() or 1) + 1


def bind_address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def site_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class VigisanteApplication(BaseApplication):
    """Gunicorn run from Python, configured here rather than by a config file."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from vigisante.config.wsgi import application

        return application


def prepare(*, migrate: bool = True, verbosity: int = 0) -> None:
    """Collect static files (when they changed) and apply pending migrations."""
    from vigisante.core import staticfiles

    if migrate:
        call_command("migrate", interactive=False, verbosity=verbosity)
    staticfiles.collect(verbosity=verbosity)


def start_task_worker() -> subprocess.Popen | None:
    """Run `vigisante worker` beside the server when that command exists (reminders)."""
    if "worker" not in get_commands():
        return None
    return subprocess.Popen([sys.executable, "-m", "vigisante.cli", "worker"])


def run(*, host: str, port: int, workers: int, threads: int = 4,
        with_worker: bool = False, log_level: str = "info") -> None:
    """Serve until SIGINT or SIGTERM (gunicorn's arbiter stops the workers cleanly)."""
    from django.db import connections

    connections.close_all()  # never share a database connection with forked workers
    worker = start_task_worker() if with_worker else None
    options = {
        "bind": bind_address(host, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": log_level,
        "proc_name": "vigisante",
        "forwarded_allow_ips": "127.0.0.1,::1",
    }
    try:
        VigisanteApplication(options).run()
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

