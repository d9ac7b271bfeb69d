"""Static files: what is collected, and collecting only when something changed.

`collectstatic` compresses every file with gzip and brotli (WhiteNoise): about 20 s of CPU for
the 20 MB the installed packages bring, most of it source maps and ReDoc, which the site never
serves (the API docs are Swagger UI). Those are left out, and `vigisante serve` / `vigisante
demo` skip the step when the collected files already match the sources (a fingerprint of
every source file's path, size and modification time, kept in the data folder).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.apps import StaticFilesConfig

# Never served: source maps (browser developer tools only) and ReDoc (the docs use Swagger UI).
EXTRA_IGNORE_PATTERNS = ["*.map", "redoc"]


class VigisanteStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [*StaticFilesConfig.ignore_patterns, *EXTRA_IGNORE_PATTERNS]


def _stamp_path() -> Path:
    return Path(settings.DATA_DIR) / "static.fingerprint"


def fingerprint() -> str:
    """A digest of what collectstatic would collect, and where to."""
    from django.contrib.staticfiles import finders

    ignore = VigisanteStaticFilesConfig.ignore_patterns
    seen: dict[str, str] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore):
            prefix = getattr(storage, "prefix", None) or ""
            key = f"{prefix}/{path}" if prefix else path
            if key in seen:  # the first finder wins, as in collectstatic
                continue
            stat = Path(storage.path(path)).stat()
            seen[key] = f"{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256()
    digest.update(f"{settings.STATIC_ROOT}\n{settings.STORAGES['staticfiles']}\n".encode())
    for key in sorted(seen):
        digest.update(f"{key}\t{seen[key]}\n".encode())
    return digest.hexdigest()


def _current(digest: str) -> bool:
    stamp = _stamp_path()
    return (stamp.is_file() and Path(settings.STATIC_ROOT).is_dir()
            and stamp.read_text().strip() == digest)


def collect(*, verbosity: int = 0) -> bool:
    """Run collectstatic unless the collected files are current; True when it ran."""
    from django.core.management import call_command

    digest = fingerprint()
    if _current(digest):
        return False
    call_command("collectstatic", interactive=False, verbosity=verbosity)
    _stamp_path().write_text(digest + "\n")
    return True


class Collecting:
    """collectstatic in another process, so that the demo loads its data meanwhile."""

    def __init__(self) -> None:
        self.digest = fingerprint()
        self.process: subprocess.Popen | None = None
        if not _current(self.digest):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vigisante.cli", "collectstatic", "--noinput",
                 "--verbosity", "0"], stdout=subprocess.DEVNULL)

    @staticmethod
    def current() -> bool:
        return _current(fingerprint())

    def cancel(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def finish(self) -> None:
        if self.process is None:
            return
        if self.process.wait() != 0:
            raise RuntimeError("collecting the static files failed (see the messages above)")
        _stamp_path().write_text(self.digest + "\n")
        self.process = None
