"""`vigisante worker`: run background tasks and the periodic clock scan until SIGTERM."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vigisante.clocks.worker import ClockWorker


def _positive(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = ("Run queued background tasks and send the regulatory-clock reminders "
            "(scan every VIGISANTE_CLOCK_SCAN_SECONDS). Stops cleanly on SIGTERM/SIGINT.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=_positive, default=1.0,
                            help="Seconds between two looks at the queue (default 1).")
        parser.add_argument("--scan-every", type=_positive, default=None,
                            help="Seconds between two clock scans (default: the "
                                 "VIGISANTE_CLOCK_SCAN_SECONDS setting).")
        parser.add_argument("--batch", action="store_true",
                            help="Enqueue one scan, run every ready task, then exit.")
        parser.add_argument("--iterations", type=int, default=None,
                            help="Stop after this many loop turns (testing, cron).")
        parser.add_argument("--worker-id", default=None, help="Unique id of this worker.")

    def handle(self, *args, **options) -> None:
        if options["iterations"] is not None and options["iterations"] < 1:
            raise CommandError("--iterations must be at least 1.")
        worker = ClockWorker(interval=options["interval"], scan_every=options["scan_every"],
                             worker_id=options["worker_id"])
        if options["batch"]:
            worker.enqueue_scan()
            worker.drain()
            self.stdout.write("worker: queue drained")
            return
        previous: dict[signal.Signals, Any] = {}

        def _stop(signum, frame) -> None:
            self.stderr.write(f"worker: {signal.Signals(signum).name} received, finishing "
                              "the current task and stopping")
            worker.stop()
            # A second signal is the operator insisting: default behaviour (exit now).
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _stop)
        self.stdout.write(f"worker: running as {worker.worker_id}, scan every "
                          f"{worker.scan_every:g} s (SIGTERM to stop)")
        self.stdout.flush()
        try:
            worker.run(iterations=options["iterations"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("worker: stopped")
