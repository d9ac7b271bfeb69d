"""A small progress bar for the import commands: drawn on stderr only when it is a terminal,
at most five times a second, erased at the end."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int | None, unit: str, stream: TextIO | None = None,
                 enabled: bool | None = None, width: int = 30) -> None:
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self.done = 0
        self.items = 0
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, done: int | None = None, items: int = 1) -> None:
        """Advance by `items` processed; `done` is the absolute position (e.g. bytes read)
        when the total is not a number of items."""
        self.items += items
        self.done = done if done is not None else self.done + items
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.2:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.items / max(now - self._start, 1e-6)
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * self.width)
            text = f"[{bar:<{self.width}}] {frac:4.0%} {self.items} {self.unit} {rate:,.0f}/s"
        else:
            text = f"{self.items} {self.unit} {rate:,.0f}/s"
        self.stream.write("\r" + text + " " * 4)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 50) + "\r")
            self.stream.flush()
