"""Static files: `vigisante serve` and `vigisante demo` collect them only when the sources
changed, and never collect what the site does not serve (source maps, ReDoc)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from vigisante.core import staticfiles


@pytest.fixture
def static_root(tmp_path, settings):
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.DATA_DIR = tmp_path
    return tmp_path / "static"


def test_collects_once_then_only_when_a_source_changes(static_root):
    # (one collection only: it costs seconds of CPU)
    assert staticfiles.collect() is True
    css = static_root / "vigisante" / "site.css"
    assert css.is_file()
    assert (static_root / "vigisante" / "site.css.gz").is_file()  # compressed by WhiteNoise
    assert staticfiles.collect() is False  # nothing changed: nothing done

    # what the site does not serve is not collected
    collected = [p.relative_to(static_root).as_posix() for p in static_root.rglob("*")]
    assert any(p.startswith("drf_spectacular_sidecar/swagger-ui-dist/") for p in collected)
    assert not [p for p in collected if ".map" in p]
    assert not [p for p in collected if "redoc" in p]

    # a source file changes (an upgrade of the package): no longer current
    digest = staticfiles.fingerprint()
    source = Path(finders.find("vigisante/site.css"))
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        assert staticfiles.fingerprint() != digest
        assert staticfiles.Collecting.current() is False
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert staticfiles.Collecting.current() is True

    # the collected folder was moved away by hand: not current, whatever the stamp says
    static_root.rename(static_root.with_name("moved"))
    assert staticfiles.Collecting.current() is False


def test_collecting_in_another_process_writes_the_stamp_when_done(static_root, settings,
                                                                   monkeypatch):
    monkeypatch.setenv("VIGISANTE_DATA_DIR", str(static_root.parent))
    job = staticfiles.Collecting()
    assert job.process is not None
    job.finish()
    assert (static_root / "vigisante" / "site.css").is_file()
    assert staticfiles.Collecting().process is None  # current: no second process
    assert staticfiles.collect() is False
