"""`vigisante check-logs` against a live test server: feed, gzip, stdin, errors, exit codes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from indicator_helpers import make_indicator

from vigisante.accounts.models import ApiToken

VIGISANTE = str(Path(sys.executable).with_name("vigisante"))

LOG = (b"1700000000.1 5 10.1.2.3 TCP_MISS/200 512 GET http://www.evil.example/x - DIRECT\n"
       b"1700000000.2 5 10.1.2.3 TCP_MISS/200 512 GET http://notevil.example/x - DIRECT\n"
       b"Nov 30 12:00:01 fw kernel: DROP SRC=192.0.2.1 DST=10.3.0.1 DPT=443\n"
       b"Nov 30 12:00:02 fw kernel: DROP SRC=192.0.2.10 DST=10.3.0.1 DPT=443\n")


def run(*args, stdin: bytes = b"", env=None) -> subprocess.CompletedProcess:
    return subprocess.run([VIGISANTE, "check-logs", *args], input=stdin, capture_output=True,
                          timeout=120, env=env)


@pytest.fixture
def feed(live_server, reporter_a):
    make_indicator("domain", "evil.example", tlp="green")
    make_indicator("ipv4", "192.0.2.1", tlp="clear")
    make_indicator("domain", "secret.example", tlp="red")
    _token, raw = ApiToken.issue(reporter_a, "check-logs")
    return live_server.url, raw


@pytest.fixture
def logs(tmp_path):
    plain = tmp_path / "access.log"
    plain.write_bytes(LOG)
    packed = tmp_path / "firewall.log.1"  # gzip without a telling name
    packed.write_bytes(gzip.compress(LOG))
    return plain, packed


@pytest.mark.django_db(transaction=True)
def test_matches_printed_with_file_and_line(feed, logs):
    url, token = feed
    plain, packed = logs
    result = run("--feed", url, "--token", token, str(plain), str(packed))
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode().splitlines()
    assert out == [
        f"{plain}:1: domain evil.example  | {LOG.splitlines()[0].decode()}",
        f"{plain}:3: ipv4 192.0.2.1  | {LOG.splitlines()[2].decode()}",
        f"{packed}:1: domain evil.example  | {LOG.splitlines()[0].decode()}",
        f"{packed}:3: ipv4 192.0.2.1  | {LOG.splitlines()[2].decode()}",
    ]
    assert b"8 lines read, 4 matching lines, 2 indicators found" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_stdin_json_and_no_match(feed):
    url, token = feed
    result = run("--feed", url, "--json", "-", stdin=LOG, env={"VIGISANTE_TOKEN": token})
    assert result.returncode == 1, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [(r["file"], r["line"], r["indicator"]) for r in rows] == [
        ("(stdin)", 1, "evil.example"), ("(stdin)", 3, "192.0.2.1")]
    clean = run("--feed", url, "--token", token, "-", stdin=b"nothing to see\n")
    assert clean.returncode == 0 and clean.stdout == b""


@pytest.mark.django_db(transaction=True)
def test_red_indicators_never_reach_a_reporter_server(feed, tmp_path):
    url, token = feed
    log = tmp_path / "dns.log"
    log.write_bytes(b"query: secret.example IN A\n")
    assert run("--feed", url, "--token", token, str(log)).returncode == 0


@pytest.mark.django_db(transaction=True)
def test_bad_token_unreachable_feed_and_bad_url(feed, logs):
    url, _token = feed
    plain, _ = logs
    bad = run("--feed", url, "--token", "vs_wrong", str(plain))
    assert bad.returncode == 3 and b"refused the token" in bad.stderr
    assert b"Traceback" not in bad.stderr
    down = run("--feed", "http://127.0.0.1:9", "--token", "x", str(plain))
    assert down.returncode == 3 and b"cannot reach the platform" in down.stderr
    notfeed = run("--feed", url + "/static/nothing", "--token", "x", str(plain))
    assert notfeed.returncode == 3
    ftp = run("--feed", "ftp://example.org", "--token", "x", str(plain))
    assert ftp.returncode == 3 and b"not an http(s) URL" in ftp.stderr


@pytest.mark.django_db(transaction=True)
def test_observer_token_is_refused(live_server, observer, logs):
    _t, raw = ApiToken.issue(observer, "x")
    result = run("--feed", live_server.url, "--token", raw, str(logs[0]))
    assert result.returncode == 3 and b"may not receive indicators" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_missing_file_still_checks_the_others(feed, logs, tmp_path):
    url, token = feed
    result = run("--feed", url, "--token", token, str(tmp_path / "nope.log"), str(logs[0]))
    assert result.returncode == 2
    assert b"nope.log: no such file" in result.stderr
    assert result.stdout.count(b"\n") == 2


@pytest.mark.django_db(transaction=True)
def test_saved_feed_works_offline(feed, logs, tmp_path):
    url, token = feed
    saved = tmp_path / "feed.json"
    assert run("--feed", url, "--token", token, "--save-feed", str(saved),
               str(logs[0])).returncode == 1
    offline = run("--feed-file", str(saved), str(logs[1]))
    assert offline.returncode == 1 and offline.stdout.count(b"\n") == 2


def test_feed_file_text_and_bad_input(tmp_path, logs):
    text = tmp_path / "iocs.txt"
    text.write_text("# from the alert\ndomain evil.example\n192.0.2.1\nnot a value\n")
    assert run("--feed-file", str(text), str(logs[0])).returncode == 1
    broken = tmp_path / "broken.json"
    broken.write_text('{"results": [')
    result = run("--feed-file", str(broken), str(logs[0]))
    assert result.returncode == 3 and b"invalid JSON" in result.stderr
    assert run("--feed-file", str(tmp_path / "none.json"), str(logs[0])).returncode == 3
    assert run(str(logs[0])).returncode == 2  # no feed
    assert run("--feed", "http://x", str(logs[0]), env={}).returncode == 2  # no token
    assert run("--feed-file", str(text), "--send", str(logs[0])).returncode == 2


def test_runs_without_django(tmp_path, logs):
    text = tmp_path / "iocs.txt"
    text.write_text("evil.example\n")
    code = ("import sys; from vigisante.cli import main\n"
            "try:\n    main(['vigisante', 'check-logs', '--feed-file', sys.argv[1], sys.argv[2]])\n"
            "except SystemExit as e:\n"
            "    assert 'django' not in sys.modules, 'Django was imported'\n"
            "    raise\n")
    result = subprocess.run([sys.executable, "-c", code, str(text), str(logs[0])],
                            capture_output=True, timeout=60, env={"PATH": "/usr/bin"})
    assert result.returncode == 1, result.stderr


def test_help_documents_exit_codes():
    result = run("--help")
    assert result.returncode == 0 and b"exit codes:" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_send_files_one_report_without_any_log_line(feed, logs, est_a):
    from vigisante.reports.models import Report

    url, token = feed
    plain, packed = logs
    quiet = run("--feed", url, "--token", token, str(plain))
    assert quiet.returncode == 1 and not Report.objects.exists()  # nothing sent by default
    sent = run("--feed", url, "--token", token, "--send", str(plain), str(packed))
    assert sent.returncode == 1, sent.stderr
    report = Report.objects.get()
    assert report.establishment == est_a and report.channel == "api"
    assert report.reference.encode() in sent.stderr
    assert "evil.example (2)" in report.description and "192.0.2.1 (2)" in report.description
    for private in ("10.1.2.3", "TCP_MISS", "notevil", str(plain)):
        assert private not in report.description
    assert set(report.sightings.values_list("indicator__value", flat=True)) == {
        "evil.example", "192.0.2.1"}


@pytest.mark.django_db(transaction=True)
def test_send_errors_are_clear(feed, logs, live_server, reporter_a):
    url, token = feed
    wrong = run("--feed", url, "--token", token, "--send", "--establishment", "000000000",
                str(logs[0]))
    assert wrong.returncode == 4 and b"establishment" in wrong.stderr
    from conftest import api_client_for

    client = api_client_for(reporter_a)
    for body in ({}, {"matches": "x"}, {"matches": [1]}, {"matches": [{"type": "domain"}]},
                 {"matches": [{"type": "domain", "value": "unknown.example"}]}):
        response = client.post("/api/v1/indicators/matches/", body, format="json")
        assert response.status_code == 400, (body, response.content)
