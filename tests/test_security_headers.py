"""Content-Security-Policy, Permissions-Policy, no-store, API docs without a CDN, deploy checks,
production refusals and private data folder (issue 9, "Keep others out")."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import api_client_for, html
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "vigisante" / "templates"


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _assert_no_inline_code(response) -> None:
    page = html(response)
    assert not [s for s in page.select("script") if not s.get("src")], "inline <script>"
    assert not page.select("style"), "<style> element"
    assert not page.select("[style]"), [str(e)[:80] for e in page.select("[style]")]
    on_attrs = [(e.name, a) for e in page.find_all(True) for a in e.attrs if a.startswith("on")]
    assert not on_attrs, on_attrs


def test_every_page_has_a_strict_csp_and_permissions_policy(client):
    response = client.get(reverse("accounts:login"))
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_no_template_has_inline_script_or_style():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if path.name == "report.html" and path.parent.name == "observatory":
            continue  # the standalone report file and PDF, never served as a page
        if path.name == "pdf.html" and path.parent.name == "drafts":
            continue  # rendered into a PDF only (WeasyPrint), never served as a page
        text = path.read_text("utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)", text) or "<style" in text \
                or re.search(r"\sstyle=", text) or re.search(r"\son[a-z]+=", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert not offenders


@pytest.mark.django_db
def test_pages_with_case_data_have_no_inline_code(client_for, analyst, reporter_a, report_a):
    staff = client_for(analyst)
    pages = [staff.get(f"/triage/{report_a.pk}/"), staff.get("/triage/"),
             staff.get("/triage/", {"state": "all", "q": report_a.reference}),
             client_for(reporter_a).get(f"/reports/{report_a.pk}/"),
             client_for(reporter_a).get(f"/reports/{report_a.pk}/notification/")]
    for response in pages:
        assert response.status_code == 200
        _assert_no_inline_code(response)
        assert "Content-Security-Policy" in response


@pytest.mark.django_db
@pytest.mark.django_db(transaction=True)  # the real worker closes a connection left in a
# transaction (close_old_connections): on PostgreSQL the test must not run inside one
def test_observatory_charts_have_no_inline_style(client_for, analyst, run_tasks):
    from test_observatory_data import build

    build()
    client_for(analyst).get("/observatory/", {"year": 2023})  # queued for the worker
    run_tasks()
    response = client_for(analyst).get("/observatory/", {"year": 2023})
    assert response.status_code == 200
    _assert_no_inline_code(response)
    charts = html(response).select("figure.chart svg")
    assert charts, "the observatory page shows its charts"
    assert all(svg.get("stroke-linejoin") == "round" for svg in charts)
    assert not [e for svg in charts for e in svg.select("[style], style")]


@pytest.mark.django_db
def test_two_factor_setup_page_has_no_inline_style(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("accounts:two_factor"))
    assert response.status_code == 200
    _assert_no_inline_code(response)
    assert html(response).select_one("figure.qr svg")


@pytest.mark.django_db
def test_case_data_is_never_stored_by_a_cache(client_for, analyst, reporter_a, report_a):
    staff = client_for(analyst)
    answers = [staff.get(f"/triage/{report_a.pk}/"), staff.get("/triage/"),
               staff.get("/reports/incoming/", follow=True),
               client_for(reporter_a).get(f"/reports/{report_a.pk}/"),
               api_client_for(reporter_a).get(f"/api/v1/reports/{report_a.pk}/"),
               api_client_for(analyst).get(f"/api/v1/triage/cases/{report_a.pk}/"),
               api_client_for(reporter_a).get("/api/v1/reports/")]
    for response in answers:
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_static_files_stay_cacheable(client):
    response = client.get("/static/vigisante/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# ---------------------------------------------------------------- API docs


def test_api_docs_and_schema_need_a_login(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.url.startswith(reverse("accounts:login"))
    assert client.get("/api/schema/").status_code in (401, 403)


@pytest.mark.django_db
def test_api_docs_come_from_the_package_with_no_inline_script(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "cdn" not in text.lower() and "http://" not in text and "https://" not in text
    _assert_no_inline_code(response)
    sources = [t.get("src") or t.get("href") for t in html(response).select("script, link")]
    assert sources and all(src.startswith("/") for src in sources if src)
    assert any("drf_spectacular_sidecar/swagger-ui-dist" in src for src in sources if src)
    for src in sources:
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200, src
    script = next(s for s in sources if "script" in s and not s.startswith("/static/"))
    init = client.get(script)
    assert init.status_code == 200 and b"SwaggerUIBundle" in init.content
    assert client.get("/api/schema/").status_code == 200
    assert api_client_for(reporter_a).get("/api/schema/").status_code == 200


# ---------------------------------------------------------------- production


def _vigisante(args, **env):
    full = {k: v for k, v in os.environ.items()
            if not k.startswith("VIGISANTE_")
            # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their live server in this
            # process; a production server never has it
            and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "vigisante.cli", *args], env=full,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_gives_no_warning_under_production_settings(tmp_path):
    result = _vigisante(["check", "--deploy"], VIGISANTE_DATA_DIR=str(tmp_path),
                        VIGISANTE_DEBUG="0", VIGISANTE_SECURE_COOKIES="1",
                        VIGISANTE_ALLOWED_HOSTS="vigisante.example.org")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("env,message", [
    ({"VIGISANTE_DEBUG": "1"}, "debug on"),
    ({"VIGISANTE_SECRET_KEY": "change-me"}, "VIGISANTE_SECRET_KEY is shorter than 50"),
    ({"VIGISANTE_SECRET_KEY": "django-insecure-" + "x1y2z3" * 8},
     "VIGISANTE_SECRET_KEY contains 'insecure': a default or example key"),
    ({"VIGISANTE_SECRET_KEY": "a" * 60}, "fewer than 5 different"),
])
def test_production_refuses_to_start_unsafe(tmp_path, env, message):
    result = _vigisante(["check"], VIGISANTE_DATA_DIR=str(tmp_path),
                        VIGISANTE_SECURE_COOKIES="1", **env)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_data_folder_and_database_are_private(tmp_path):
    data = tmp_path / "data"
    script = ("from django.db import connection\n"
              "from vigisante.core.api_views import write_transaction\n"
              "with write_transaction():\n"
              "    with connection.cursor() as c: c.execute('create table t (x int)')\n")
    old = os.umask(0o022)
    try:
        result = _vigisante(["shell", "-c", script], VIGISANTE_DATA_DIR=str(data))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = sorted(p.name for p in data.iterdir())
    assert {"vigisante.sqlite3", "secret_key", "encryption_key",
            "sqlite-writers.lock"} <= set(files)
    for path in data.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_an_existing_world_readable_data_folder_is_tightened(tmp_path):
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "vigisante.sqlite3").touch(mode=0o644)
    os.chmod(data, 0o755)
    os.chmod(data / "vigisante.sqlite3", 0o644)
    result = _vigisante(["check"], VIGISANTE_DATA_DIR=str(data))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "vigisante.sqlite3").stat().st_mode) == 0o600
