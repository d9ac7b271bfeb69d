"""The synthetic demo data: pure generation, and the loaded data against the published figures.

The published figures are read here from the JSON file itself (the shared copy when present,
else the copy shipped in the package) and compared with counts made by ORM queries.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from vigisante.core import audit
from vigisante.demo import load as demo_load
from vigisante.demo.data import generate
from vigisante.demo.reports import structure_counts
from vigisante.demo.targets import PUBLISHED_PATH, allocate, fill
from vigisante.establishments.domain import finess_error
from vigisante.establishments.models import Category, Establishment
from vigisante.establishments.regions import DEPARTEMENTS, REGIONS

NOW = dt.datetime(2026, 3, 15, 10, 30, tzinfo=dt.UTC)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "observatory-published.json"
PUBLISHED_FILE = SHARED if SHARED.exists() else PUBLISHED_PATH
PUBLISHED = {int(y): f for y, f in
             json.loads(PUBLISHED_FILE.read_text(encoding="utf-8"))["years"].items()}


def first(value):
    return value[0] if isinstance(value, list) else value


@pytest.fixture(scope="module")
def data():
    return generate(NOW)


def test_shipped_figures_are_the_published_ones():
    shipped = json.loads(PUBLISHED_PATH.read_text(encoding="utf-8"))
    assert shipped == json.loads(PUBLISHED_FILE.read_text(encoding="utf-8"))


def test_generation_is_deterministic(data):
    again = generate(NOW)
    assert again.establishments == data.establishments
    assert [r.report for r in again.rows] == [r.report for r in data.rows]
    assert [r.case for r in again.rows] == [r.case for r in data.rows]


def test_establishments_are_fictional_valid_and_cover_everything(data):
    ests = data.establishments
    assert 300 <= len(ests) <= 1000
    assert {e.region for e in ests} == set(REGIONS)
    assert {e.category for e in ests} == set(Category.values)
    assert len({e.finess for e in ests}) == len(ests)
    assert len({e.name for e in ests}) > 0.95 * len(ests)
    for e in ests:
        assert finess_error(e.finess) is None, e.finess
        assert e.finess[:2] == e.departement
        assert DEPARTEMENTS[e.departement][1] == e.region
        assert e.name.endswith("(fictif)")
    counts = {c: sum(e.category == c for e in ests) for c in Category.values}
    assert counts["ehpad"] > counts["chu"] and counts["ch"] > counts["clinic"] > counts["chu"]
    assert ests[0].name == "Centre hospitalier de Valbrune (fictif)"


def test_accounts_are_under_a_reserved_domain(data):
    roles = {a.role for a in data.accounts if a.demo}
    assert roles == {"analyst", "admin", "observer", "reporter", "authority"}
    scopes = [a.scope for a in data.accounts if a.role == "authority"]
    assert ("hfds", "") in scopes and ("dgs", "") in scopes
    regions = {r for kind, r in scopes if kind == "ars"}
    assert len(regions) == 2, "the ARS of two regions"
    assert data.establishments[data.featured["ch"]].region in regions
    assert all(a.email.endswith("@demo.example.org") for a in data.accounts)
    reporters = [a for a in data.accounts if a.demo and a.role == "reporter"]
    assert len({e for a in reporters for e in a.establishments}) >= 2


def test_structure_counts_hold_the_repeat_figures():
    counts = structure_counts(random.Random(1), 592, 432, [(3, 69), (4, 15)])
    assert sum(counts) == 592 and len(counts) == 432
    assert sum(c >= 3 for c in counts) == 69 and sum(c >= 4 for c in counts) == 15
    # 2019: 55 structures with more than 2 reports do not fit 392 reports in 300
    # structures; the repeat figures hold with fewer structures.
    counts = structure_counts(random.Random(1), 392, 300, [(3, 55), (5, 7)])
    assert sum(counts) == 392 and len(counts) == 268
    assert sum(c >= 3 for c in counts) == 55 and sum(c >= 5 for c in counts) == 7


def test_fill_and_allocate():
    assert fill({2020: 0.2, 2022: 0.4}, years=(2019, 2020, 2021, 2023)) == pytest.approx(
        {2019: 0.3, 2020: 0.2, 2021: 0.3, 2023: 0.3})
    assert allocate(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert sum(allocate(97, {"a": 3, "b": 5, "c": 0}).values()) == 97


def test_live_reports_cover_every_stage_and_state(data):
    live = [r for r in data.rows if r.year == 2026]
    assert 15 <= len(live) <= 30
    assert {r.report["stage"] for r in live} == {"early_warning", "notification", "final"}
    assert {r.case["state"] for r in live} == {
        "received", "acknowledged", "qualified", "in_support", "resolved", "closed",
        "rejected", "duplicate"}
    assert all(r.created_at <= NOW and r.report["discovered_at"] <= NOW for r in live)
    assert all(r.report.get("notification_at") is None or r.report["notification_at"] <= NOW
               for r in live)


@pytest.fixture
def seeded(db):
    data = generate(NOW)
    summary = demo_load.seed(data)
    assert summary is not None
    return data


def _year(qs, year, field="created_at"):
    return qs.filter(**{f"{field}__year": year})


def test_loaded_demo_data(seeded):
    """One load (it takes seconds), three checks."""
    check_figures_follow_the_published_observatory()
    check_loaded_data_is_consistent()
    check_early_warning()
    check_history_is_in_the_audit_trail()
    check_seed_twice_adds_nothing()


def check_history_is_in_the_audit_trail():
    """The demo's past reads like real use: every act of the loaded cases has the audit
    event its service records, at the time it happened, chained; the timelines tell them."""
    from django.utils import translation

    from vigisante.core.models import AuditEvent
    from vigisante.core.timeline import CERT, ESTABLISHMENT
    from vigisante.reports.models import Report
    from vigisante.reports.timeline import report_timeline
    from vigisante.triage.models import Message, Note, Qualification, Support, Transition

    assert audit.verify().ok
    counts = dict(AuditEvent.objects.values_list("action").annotate(n=Count("id")))
    reports = Report.objects.count()
    assert counts["report.create"] == reports
    assert counts["report.notification"] == Report.objects.filter(
        notification_at__isnull=False).count()
    assert counts["report.final"] == Report.objects.filter(final_at__isnull=False).count()
    qualified = Transition.objects.filter(to_state="qualified").count()
    assert counts["case.qualify"] == qualified == Qualification.objects.count()
    assert counts["case.transition"] == Transition.objects.count() - qualified
    assert counts["case.note"] == Note.objects.count()
    assert counts["case.message"] + counts.get("case.reply", 0) == Message.objects.count()
    assert counts["case.support"] == Support.objects.count()
    # each transition's event at its time, by its analyst
    sample = Transition.objects.select_related("case").order_by("pk")[::500]
    for t in sample:
        assert AuditEvent.objects.filter(
            object_type="triage.case", object_id=str(t.case_id), at=t.at, actor_id=t.by_id,
            action__in=["case.transition", "case.qualify"], after__state=t.to_state).exists(), t
    # a closed case of a past year: the CERT's timeline tells its whole story
    report = Report.objects.filter(case__state="closed", final_at__isnull=False).select_related(
        "case").order_by("created_at").first()
    with translation.override("en"):
        cert = [e.sentence for e in report_timeline(report, audience=CERT)]
        mine = [e.sentence for e in report_timeline(report, audience=ESTABLISHMENT)]
    text = " ".join(cert)
    for expected in ("filed the report", "submitted the notification", "submitted the final "
                     "report", "qualified the case", "took the case", "to “Closed”"):
        assert expected in text, (expected, cert)
    assert "The report was received." not in text  # its own event, not the fallback
    assert any("set its case to “Closed”" in s for s in mine)
    assert not any("qualified" in s for s in mine)  # the CERT's qualification is its own


def check_early_warning():
    """Issue 7: fictitious indicators sighted in reports, two confirmed campaigns, alerts sent
    (every demo reporter has one unread), the supplier registry filled."""
    import ipaddress

    from vigisante.accounts.models import User
    from vigisante.establishments.models import SupplierUse
    from vigisante.indicators.models import Campaign, Indicator
    from vigisante.sharing import access
    from vigisante.sharing.models import Alert, AlertRead

    documentation = [ipaddress.ip_network(n) for n in
                     ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    for ind in Indicator.objects.filter(status="confirmed"):
        if ind.type == "ipv4":
            assert any(ipaddress.ip_address(ind.value) in n for n in documentation), ind
        elif ind.type in ("domain", "email", "url"):
            host = ind.value.split("@")[-1].split("//")[-1].split("/")[0]
            assert host.rsplit(".", 1)[-1] in ("example", "test", "invalid"), ind
        assert ind.sightings.exists()
    confirmed = Campaign.objects.filter(status="confirmed")
    assert confirmed.count() == 2
    assert sorted(c.memberships.count() for c in confirmed) == [4, 12]
    assert all(c.indicators().exists() for c in confirmed)
    assert Alert.objects.sent().count() == 2
    assert SupplierUse.objects.exists()
    # the bulk-loaded reports carry their correlation keys, for the reports to come
    from vigisante.indicators.models import CorrelationKey
    from vigisante.triage.models import Case

    case = (Case.objects.filter(report__source="sector", report__establishment__isnull=False)
            .exclude(kind__in=("", "other")).exclude(report__systems_hit=[])
            .select_related("report").first())
    assert set(CorrelationKey.objects.filter(report=case.report, reason="kind_system")
               .values_list("key", flat=True)) == {
        f"{case.kind}:{s}" for s in case.report.systems_hit}
    for account in User.objects.filter(email__in=[
            "rssi.valbrune@demo.example.org", "direction.ehpad@demo.example.org",
            "dsi.groupe@demo.example.org"]):
        visible = access.visible_alerts(account)
        assert visible.exists()
        assert visible.exclude(reads__user=account).exists()
        assert not AlertRead.objects.filter(user=account).exists()


def check_figures_follow_the_published_observatory():
    from vigisante.reports.models import Report
    from vigisante.triage.models import Case, Support

    for year in range(2019, 2025):
        pub = PUBLISHED[year]
        reports = _year(Report.objects.sector(), year)
        n = reports.count()
        assert n == first(pub["reports"]), year
        cases = Case.objects.filter(report__in=reports)
        assert cases.count() == n
        malicious = cases.filter(origin="malicious").count()
        if pub.get("malicious_share") is not None:
            assert round(malicious / n, 2) == pub["malicious_share"], year
        else:
            assert 0.3 < malicious / n < 0.7
        ransomware = cases.filter(kind="ransomware").count()
        if pub.get("ransomware") is not None:
            assert ransomware == first(pub["ransomware"]), year
        elif pub.get("ransomware_share_of_reports") is not None:
            assert round(ransomware / n, 2) == pub["ransomware_share_of_reports"], year
        else:
            assert 0 < ransomware < malicious
        assert not cases.filter(origin="malicious").exclude(
            kind__in=["ransomware", "account_compromise", "system_compromise", "phishing",
                      "vulnerability_exploit", "malware", "data_leak", "fraud", "ddos",
                      "defacement"]).exists()
        per_structure = list(reports.values("establishment").annotate(n=Count("id"))
                             .values_list("n", flat=True))
        if pub.get("structures") is not None:
            assert abs(len(per_structure) - first(pub["structures"])) <= \
                0.12 * first(pub["structures"]), year
        if pub.get("structures_more_than_2_reports") is not None:
            assert sum(c > 2 for c in per_structure) == pub["structures_more_than_2_reports"]
        if pub.get("structures_more_than_4_reports") is not None:
            assert sum(c > 4 for c in per_structure) == pub["structures_more_than_4_reports"]
        if pub.get("structures_4_or_more_reports") is not None:
            assert sum(c >= 4 for c in per_structure) == pub["structures_4_or_more_reports"]
        months = reports.dates("created_at", "month")
        assert len(months) == 12, year
        if pub.get("support_requests") is not None:
            assert reports.filter(support_requested=True).count() == first(
                pub["support_requests"]), year
            assert Support.objects.filter(case__in=cases).values("case").distinct().count() \
                == first(pub["support_requests"])
        if pub.get("supplier_involved_share") is not None:
            share = reports.filter(supplier_involved=True).count() / n
            assert round(share, 2) == pub["supplier_involved_share"]
        for key, value in (("no_impact_share", "none"), ("degraded_mode_share", "degraded")):
            if pub.get(key) is not None:
                share = reports.filter(operations_impact=value).count() / n
                assert round(share, 2) == pub[key], (year, key)
        if pub.get("patient_endangerment_actual") is not None:
            assert reports.filter(patient_danger="actual").count() == \
                pub["patient_endangerment_actual"], year
        if pub.get("patient_endangerment_potential") is not None:
            assert reports.filter(patient_danger="potential").count() == \
                pub["patient_endangerment_potential"]
        if pub.get("data_impact_share") is not None:
            data_hit = reports.filter(Q(data_availability=True) | Q(data_integrity=True)
                                      | Q(data_confidentiality=True)).count()
            assert round(data_hit / n, 2) == pub["data_impact_share"], year
        for key, flag in (("data_integrity", "data_integrity"),
                          ("data_availability_loss", "data_availability"),
                          ("data_disclosure", "data_confidentiality"),
                          ("data_disclosure_approx", "data_confidentiality")):
            if pub.get(key) is not None:
                assert reports.filter(**{flag: True}).count() == pub[key], (year, key)
        if pub.get("patient_care_affected_share") is not None:
            share = reports.filter(patient_care_affected="yes").count() / n
            assert round(share, 2) == pub["patient_care_affected_share"]

    pub19 = PUBLISHED[2019]
    by_region = dict(_year(Report.objects, 2019).values_list("establishment__region")
                     .annotate(n=Count("id")))
    assert by_region["OCC"] == pub19["by_region"]["Occitanie"]
    assert by_region["ARA"] == pub19["by_region"]["Auvergne-Rhone-Alpes"]

    cases22 = Case.objects.filter(report__created_at__year=2022)
    mal22 = cases22.filter(origin="malicious").count()
    assert round(cases22.filter(kind="phishing").count() / mal22, 2) == 0.46
    assert round(cases22.filter(kind="account_compromise").count() / mal22, 2) == 0.40
    assert cases22.filter(kind="ransomware", report__operations_impact="degraded").count() == \
        PUBLISHED[2022]["ransomware_with_degraded_mode"]
    assert Support.objects.filter(case__in=cases22, type__in=["technical_help", "on_site"]) \
        .count() == PUBLISHED[2022]["technical_interventions"]
    helped23 = (Support.objects.filter(case__report__created_at__year=2023,
                                       type__in=["technical_help", "on_site"])
                .values("case__report__establishment").distinct().count())
    assert helped23 == PUBLISHED[2023]["establishments_given_technical_support"]

    cases24 = Case.objects.filter(report__created_at__year=2024)
    assert cases24.filter(kind="system_compromise").count() == \
        PUBLISHED[2024]["system_compromises"]
    extent = dict(cases24.filter(kind="ransomware").values_list("ransomware_extent")
                  .annotate(n=Count("id")))
    assert extent == PUBLISHED[2024]["ransomware_extent"]


def check_loaded_data_is_consistent():
    from vigisante.reports.models import ReferenceCounter, Report
    from vigisante.triage.models import Case

    for est in Establishment.objects.all():
        est.full_clean()  # FINESS shape, département and region agree
    assert not Establishment.objects.filter(synthetic=False).exists()
    assert set(Establishment.objects.values_list("region", flat=True)) == set(REGIONS)
    assert set(Establishment.objects.values_list("category", flat=True)) == set(Category.values)
    for counter in ReferenceCounter.objects.all():
        refs = Report.objects.filter(reference__startswith=f"VS-{counter.year}-")
        assert refs.count() == counter.value
        assert refs.filter(reference=f"VS-{counter.year}-{counter.value:05d}").exists()
    assert Case.objects.count() == Report.objects.count()
    assert not Report.objects.filter(discovered_at__gt=NOW).exists()
    for case in Case.objects.exclude(kind="").select_related("report")[:200]:
        from vigisante.core.taxonomy import origin_of, rsit_of

        assert (case.rsit_class, case.rsit_type) == rsit_of(case.kind)
        assert case.origin == origin_of(case.kind)
    events = audit.verify()
    assert events.ok
    from vigisante.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="demo.seed").count() == 1


def check_seed_twice_adds_nothing():
    from vigisante.reports.models import Report

    before = Report.objects.count()
    assert demo_load.seed(generate(NOW)) is None
    assert Report.objects.count() == before


def test_refuses_a_database_with_real_data(db):
    from conftest import make_establishment

    make_establishment("750000011", "Centre hospitalier réel")
    with pytest.raises(demo_load.DemoRefused):
        demo_load.seed(generate(NOW))
    assert not Establishment.objects.filter(synthetic=True).exists()


def test_accounts_tokens_and_second_factor(seeded, capsys):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigisante.accounts.models import ApiToken, User, hash_token

    first_run = demo_load.refresh_accounts(seeded)
    second = demo_load.refresh_accounts(seeded)
    for a, b in zip(first_run, second, strict=True):
        assert ApiToken.objects.get(key_hash=hash_token(a["token"])).revoked_at is not None
        assert ApiToken.objects.get(key_hash=hash_token(b["token"])).revoked_at is None
        user = User.objects.get(email=b["email"])
        assert user.check_password(b["password"])
    staff = [a for a in second if a["role"] in ("analyst", "admin")]
    assert staff and all(a["totp_secret"] for a in staff)
    authorities = [a for a in second if a["role"] == "authority"]
    assert authorities and all(a["totp_secret"] and a["scope"] for a in authorities)
    call_command("demo_otp", staff[0]["email"])
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
    device = TOTPDevice.objects.get(user__email=staff[0]["email"])
    assert device.verify_token(code)
    for refused in ("rssi.valbrune@demo.example.org", "someone@hopital.example"):
        with pytest.raises(CommandError):
            call_command("demo_otp", refused)


def test_demo_otp_refuses_a_staff_account_with_its_own_secret(analyst):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    analyst.email = "analyste@demo.example.org"
    analyst.save()
    TOTPDevice.objects.create(user=analyst, name="demo (synthetic)", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_otp", "analyste@demo.example.org")


def test_the_live_reports_have_their_transmissions(seeded):
    """The demo's authorities see the recent reports of their scope: transmissions decided
    by the rule table, sent; one report held back with its reason."""
    from vigisante.accounts.models import User
    from vigisante.authorities import domain
    from vigisante.authorities.models import Transmission, TransmissionHold
    from vigisante.authorities.services import facts_of
    from vigisante.reports.models import Report

    live = Report.objects.filter(created_at__year__gt=max(PUBLISHED)).select_related(
        "establishment")
    assert live.exists()
    for report in live:
        told = set(Transmission.objects.filter(report=report, trigger="received")
                   .values_list("authority", "region"))
        assert told == {r.key for r in domain.recipients(facts_of(report, set()))}, report
    hold, dgs = TransmissionHold.objects.order_by("authority")
    assert hold.is_all and hold.reason and hold.held_by.email == "analyste@demo.example.org"
    assert set(hold.report.transmissions.values_list("state", flat=True)) == {"held"}
    # beside it, on another open report, the DGS alone: the ARS and the HFDS were informed
    assert (dgs.authority, dgs.region) == ("dgs", "") and dgs.report != hold.report
    assert dgs.reason and dgs.held_by.email == "analyste@demo.example.org"
    assert dgs.report.case.state not in ("resolved", "closed", "rejected", "duplicate")
    assert set(dgs.report.transmissions.values_list("authority", "state")) == {
        ("ars", "sent"), ("hfds", "sent"), ("dgs", "held")}
    assert set(dgs.transmissions.values_list("authority", flat=True)) == {"dgs"}
    assert not Transmission.objects.exclude(report=hold.report).exclude(
        report=dgs.report, authority="dgs").exclude(state="sent").exists()
    for account in (a for a in seeded.accounts if a.role == "authority"):
        user = User.objects.get(email=account.email)
        visible = Report.objects.restrict(user, "summary")
        if account.scope[0] == "hfds":
            assert visible.count() == live.count() - 1  # all but the held one
        if account.scope[0] == "ars":
            assert set(visible.values_list("establishment__region", flat=True)) <= {
                account.scope[1]}


def test_the_demo_establishment_machine_account_reads_only_its_own_collection(seeded):
    """The demo's `taxii.establishment_account`: the firewall of an establishment that
    received the hosting supplier's TLP:AMBER alert reads its establishment's collection (the
    alert is in it) and gets 404 on another recipient's, by token and by HTTP Basic."""
    import base64

    from django.test import Client

    from vigisante.accounts.models import Membership, Role
    from vigisante.demo import taxii as demo_taxii
    from vigisante.taxii.models import Audience, Collection

    taxii_type = "application/taxii+json;version=2.1"
    first = demo_taxii.prepare("http://testserver/")["taxii"]
    keys = demo_taxii.prepare("http://testserver/")["taxii"]  # a second run: same account
    assert {"url", "username", "password", "token"} <= set(keys)
    own = keys["establishment_account"]
    assert own["username"] == first["establishment_account"]["username"]
    assert own["username"] != keys["username"] and own["token"] != keys["token"]
    machine = Membership.objects.get(user__email=own["username"])  # exactly one
    assert machine.user.role == Role.MACHINE
    assert machine.establishment.name == own["establishment"]
    # a demo reporter's establishment, when one of them received the alert
    reporters = set(Membership.objects.filter(user__role=Role.REPORTER)
                    .values_list("establishment_id", flat=True))
    owned = Collection.objects.filter(audience=Audience.ESTABLISHMENT)
    if owned.filter(establishment_id__in=reporters).exists():
        assert machine.establishment_id in reporters
    mine = owned.get(establishment=machine.establishment)
    other = owned.exclude(pk=mine.pk).first()
    assert other is not None, "the supplier's alert reaches more than one customer"
    path = own["collection"].removeprefix("http://testserver")
    assert path == f"/taxii2/api/collections/{mine.pk}/"
    basic = base64.b64encode(f"{own['username']}:{own['password']}".encode()).decode()
    old = Client().get(path, HTTP_ACCEPT=taxii_type,
                       HTTP_AUTHORIZATION=f"Token {first['establishment_account']['token']}")
    assert old.status_code == 401  # the first run's token was revoked by the second
    for auth in (f"Token {own['token']}", f"Basic {basic}"):
        client = Client(HTTP_ACCEPT=taxii_type, HTTP_AUTHORIZATION=auth)
        assert client.get(path).status_code == 200
        objects = client.get(path + "objects/")
        assert objects.status_code == 200
        alerts = [o for o in objects.json()["objects"] if o["type"] == "report"]
        assert alerts and all("télémaintenance" in o["name"] for o in alerts)
        elsewhere = f"/taxii2/api/collections/{other.pk}/"
        assert client.get(elsewhere).status_code == 404
        assert client.get(elsewhere + "objects/").status_code == 404
        assert client.get("/taxii2/api/collections/").status_code == 200
        listed = {c["id"] for c in client.get("/taxii2/api/collections/").json()["collections"]}
        assert str(mine.pk) in listed and str(other.pk) not in listed
