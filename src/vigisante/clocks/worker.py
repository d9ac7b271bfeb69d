"""The background worker: runs queued tasks (django-tasks-db) and schedules the clock scan.

One loop, one thread: every `interval` seconds it enqueues the scan when `scan_every` seconds
have passed since the last one (unless one is already waiting), then lets django-tasks-db's
own worker drain the ready tasks (claimed with row locks, so several workers can run side by
side). `vigisante worker` runs it in the foreground; the demo runs it in a daemon thread with
`start_in_process()`.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)

#: Tasks run per drain before the loop checks the schedule (and a stop request) again.
MAX_TASKS_PER_DRAIN = 50


class ClockWorker:
    """Run tasks and enqueue the periodic clock scan, until `stop()`."""

    def __init__(self, *, interval: float = 1.0, scan_every: float | None = None,
                 backend_name: str = "default", worker_id: str | None = None) -> None:
        self.interval = interval
        self.scan_every = settings.CLOCK_SCAN_SECONDS if scan_every is None else scan_every
        self.backend_name = backend_name
        self.worker_id = worker_id or f"vigisante-{get_random_string(12)}"
        self._stop = threading.Event()
        self._next_scan = 0.0
        self._next_job: dict[str, float] = {}
        self._current: Worker | None = None
        self.ticks = 0

    # -- scheduling -------------------------------------------------------------------------
    def enqueue_scan(self) -> bool:
        """Queue one scan, unless one is already waiting (several workers, a slow scan)."""
        from vigisante.clocks.tasks import scan_clocks

        waiting = DBTaskResult.objects.filter(
            status="READY", task_path=scan_clocks.module_path, backend_name=self.backend_name,
        ).exists()
        if waiting:
            return False
        scan_clocks.using(backend=self.backend_name).enqueue()
        return True

    def _maybe_enqueue_scan(self) -> None:
        now = time.monotonic()
        if now >= self._next_scan:
            self.enqueue_scan()
            self._next_scan = now + self.scan_every

    def run_periodic(self, *, force: bool = False) -> None:
        """Run the jobs of settings.PERIODIC_JOBS that are due (all of them with `force`).

        Each job is a dotted path to a function taking no argument, with its period in
        seconds; one failing job is logged and does not stop the others.
        """
        now = time.monotonic()
        for path, every in settings.PERIODIC_JOBS:
            if not force and now < self._next_job.get(path, 0.0):
                continue
            self._next_job[path] = now + every
            try:
                import_string(path)()
            except Exception:  # noqa: BLE001 - logged; the next period tries again
                log.exception("periodic job %s failed", path)

    def beat(self) -> None:
        """Tell `/healthz` this worker is alive (one row per worker id)."""
        from vigisante.core.models import Heartbeat

        Heartbeat.objects.update_or_create(name=self.worker_id,
                                           defaults={"at": timezone.now()})

    # -- running ----------------------------------------------------------------------------
    def drain(self) -> None:
        """Run every ready task (at most MAX_TASKS_PER_DRAIN), then return."""
        worker = Worker(
            queue_names=["*"], interval=0.05, batch=True, backend_name=self.backend_name,
            startup_delay=False, max_tasks=MAX_TASKS_PER_DRAIN, worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        self._current = worker
        try:
            if not self._stop.is_set():
                worker.run()
        finally:
            self._current = None

    def tick(self) -> None:
        close_old_connections()
        self.beat()
        self._maybe_enqueue_scan()
        self.run_periodic()
        self.drain()
        self.ticks += 1

    def run(self, *, iterations: int | None = None) -> None:
        """Loop until stopped (or for `iterations` ticks); a task in progress is finished."""
        log.info("worker %s started: scan every %ss, poll every %ss", self.worker_id,
                 self.scan_every, self.interval)
        # The upstream worker logs each drain at INFO; once a second is noise.
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - a database blip must not kill the worker
                    log.exception("worker loop error; retrying")
                if iterations is not None and self.ticks >= iterations:
                    break
                self._stop.wait(self.interval)
        finally:
            connection.close()
            log.info("worker %s stopped", self.worker_id)

    def stop(self) -> None:
        """Ask the loop to end; the task running now (if any) completes first."""
        self._stop.set()
        current = self._current
        if current is not None:
            current.running = False

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


_in_process: tuple[ClockWorker, threading.Thread] | None = None
_lock = threading.Lock()


def start_in_process(*, interval: float = 1.0, scan_every: float | None = None) -> ClockWorker:
    """Run the worker in a daemon thread of this process (the demo); idempotent."""
    global _in_process
    with _lock:
        if _in_process is not None and _in_process[1].is_alive():
            return _in_process[0]
        worker = ClockWorker(interval=interval, scan_every=scan_every)
        thread = threading.Thread(target=worker.run, name="vigisante-worker", daemon=True)
        thread.start()
        _in_process = (worker, thread)
        return worker


def stop_in_process(timeout: float = 10.0) -> None:
    """Stop the in-process worker started by `start_in_process` and wait for it."""
    global _in_process
    with _lock:
        if _in_process is None:
            return
        worker, thread = _in_process
        worker.stop()
        thread.join(timeout)
        _in_process = None
