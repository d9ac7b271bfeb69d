"""/feeds/: plain text, CSV, Zeek Intel and Suricata datasets, by token or a machine account's
HTTP Basic, filtered by TLP and by what the account may receive (the `receive` rule)."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from conftest import make_establishment, make_user
from django.test import Client
from indicator_helpers import make_campaign, make_indicator
from taxii_helpers import basic, machine, token

from vigisante.reports import services as report_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reporter_a, est_a, est_b, early_warning_data):
    """Indicators of every TLP; an AMBER one in a campaign establishment A's report is in."""
    est_c = make_establishment("130000033", "Clinique C (synthetic)")
    reporter_c = make_user("reporter.c@example.org", establishments=[est_c])
    report_c = report_services.create_early_warning(
        actor=reporter_c, data={**early_warning_data, "establishment": est_c})
    report_a = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    inds = {
        "clear": make_indicator("domain", "clear.example", tlp="clear"),
        "green": make_indicator("ipv4", "192.0.2.1", tlp="green"),
        "url": make_indicator("url", "http://green.example/login.php?a=1", tlp="green"),
        "hash": make_indicator("sha256", "ab" * 32, tlp="green"),
        "md5": make_indicator("md5", "cd" * 16, tlp="clear"),
        "amber_campaign": make_indicator("domain", "amber.example", tlp="amber"),
        "amber_other": make_indicator("domain", "amber-other.example", tlp="amber"),
        "strict": make_indicator("domain", "strict.example", tlp="amber+strict"),
        "red": make_indicator("domain", "red.example", tlp="red"),
        "pending": make_indicator("domain", "pending.example", status="pending"),
        "noisy": make_indicator("domain", "noisy.example", noisy=True),
        "evil": make_indicator("domain", "=cmd.example", tlp="green"),
        "tab": make_indicator("domain", "tab\tinjected.example", tlp="green"),
    }
    make_campaign([report_c, report_a], [inds["amber_campaign"]])
    return {"inds": inds, "a": machine("fw.a@example.org", [est_a]),
            "b": machine("fw.b@example.org", [est_b]), "partner": machine("cert@example.org")}


def fetch(path, headers=None, **params) -> tuple[int, str]:
    response = Client().get(path, params, **(headers or {}))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode()


def lines(path, headers, **params) -> set[str]:
    status, body = fetch(path, headers, **params)
    assert status == 200, body
    return set(body.splitlines())


def test_text_lists_follow_the_receive_rule(world):
    a = lines("/feeds/text/domain.txt", basic(world["a"]))
    assert a == {"clear.example", "amber.example", "=cmd.example"}  # own campaign's AMBER
    b = lines("/feeds/text/domain.txt", basic(world["b"]))
    assert b == {"clear.example", "=cmd.example"}
    partner = lines("/feeds/text/domain.txt", basic(world["partner"]))
    assert partner == {"clear.example", "amber.example", "amber-other.example",
                       "=cmd.example"}
    assert lines("/feeds/text/ipv4.txt", basic(world["b"])) == {"192.0.2.1"}


def test_tlp_filter_and_since(world):
    assert lines("/feeds/text/domain.txt", basic(world["partner"]), tlp="clear") == {
        "clear.example"}
    assert lines("/feeds/text/domain.txt", basic(world["partner"]), tlp="TLP:GREEN") == {
        "clear.example", "=cmd.example"}
    assert lines("/feeds/text/domain.txt", basic(world["partner"]),
                 since="2999-01-01") == set()
    assert fetch("/feeds/text/domain.txt", basic(world["partner"]), tlp="purple")[0] == 400
    assert fetch("/feeds/text/domain.txt", basic(world["partner"]), since="soon")[0] == 400
    assert fetch("/feeds/indicators.csv", basic(world["partner"]), type="nope")[0] == 400


def test_token_in_header_or_query(world, observer, analyst):
    raw = token(world["b"])["HTTP_AUTHORIZATION"].split()[1]
    assert fetch("/feeds/text/domain.txt", token=raw)[0] == 200
    assert fetch("/feeds/text/domain.txt", {"HTTP_AUTHORIZATION": f"Token {raw}"})[0] == 200
    assert fetch("/feeds/text/domain.txt", token="vs_wrong")[0] == 401
    assert fetch("/feeds/text/domain.txt")[0] == 401
    assert fetch("/feeds/text/domain.txt", token(observer))[0] == 404
    staff = lines("/feeds/text/domain.txt", token(analyst))
    assert {"strict.example", "red.example"} <= staff
    assert "pending.example" not in staff and "noisy.example" not in staff
    assert fetch("/feeds/text/nothing.txt", basic(world["a"]))[0] == 404
    assert Client().post("/feeds/zeek.intel", **basic(world["a"])).status_code == 405


def test_csv(world):
    status, body = fetch("/feeds/indicators.csv", basic(world["b"]))
    rows = list(csv.DictReader(io.StringIO(body)))
    values = {r["value"] for r in rows}
    assert "'=cmd.example" in values  # a formula is neutralised
    assert "192.0.2.1" in values and "red.example" not in values
    assert {r["tlp"] for r in rows} <= {"TLP:CLEAR", "TLP:GREEN"}
    assert not any("\t" in v for v in values)


def test_zeek_intel(world):
    status, body = fetch("/feeds/zeek.intel", basic(world["b"]))
    assert status == 200
    header, *rows = body.splitlines()
    assert header == "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url"
    parsed = {tuple(r.split("\t")[:2]) for r in rows}
    assert ("192.0.2.1", "Intel::ADDR") in parsed
    assert ("green.example/login.php?a=1", "Intel::URL") in parsed
    assert ("ab" * 32, "Intel::FILE_HASH") in parsed
    assert all(len(r.split("\t")) == 5 for r in rows)
    assert not any("tab" in r for r in rows)


def test_suricata_datasets(world):
    strings = lines("/feeds/suricata/domain.lst", basic(world["b"]))
    assert {base64.b64decode(s).decode() for s in strings} == {"clear.example",
                                                               "=cmd.example"}
    assert lines("/feeds/suricata/sha256.lst", basic(world["b"])) == {"ab" * 32}
    assert lines("/feeds/suricata/ipv4.lst", basic(world["b"])) == {"192.0.2.1"}
    assert fetch("/feeds/suricata/sha1.lst", basic(world["b"]))[0] == 404


def test_machine_accounts_read_the_misp_feed(world, est_a):
    """The MISP feed (sharing's route) takes a machine account's token: a partner gets the
    sent alerts up to TLP:AMBER, an establishment's account those delivered to it."""
    from django.utils import timezone

    from vigisante.sharing.models import Alert, AlertRecipient

    now = timezone.now()

    def alert(title, tlp, sent=True):
        return Alert.objects.create(title=title, situation="s", actions="a", tlp=tlp,
                                    created_at=now, updated_at=now,
                                    sent_at=now if sent else None, target_all=True)

    amber = alert("Amber alert for all", "amber")
    alert("Red alert for all", "red")
    alert("Draft alert", "green", sent=False)
    AlertRecipient.objects.create(alert=amber, establishment=est_a, delivered_at=now)

    def titles(user) -> set[str]:
        raw = token(user)["HTTP_AUTHORIZATION"]
        response = Client().get("/alerts/misp/feed/manifest.json", HTTP_AUTHORIZATION=raw)
        assert response.status_code == 200, response.content
        return {event["info"] for event in response.json().values()}

    assert titles(world["partner"]) == {"Amber alert for all"}
    assert titles(world["a"]) == {"Amber alert for all"}
    assert titles(world["b"]) == set()
    raw = token(world["partner"])["HTTP_AUTHORIZATION"]
    assert Client().get("/api/v1/alerts/", HTTP_AUTHORIZATION=raw).status_code == 401
