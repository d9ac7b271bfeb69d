"""The transmission to the authorities as a clock (case page and clocks API, CERT staff only),
holds per authority (one authority held back while the others are informed; "hold all"
kept), and the CERT's page of late and held transmissions."""

from __future__ import annotations

import datetime as dt

import pytest
from authorities_world import make_authority
from conftest import api_client_for, html, make_establishment
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from vigisante.authorities import deadlines, services
from vigisante.authorities.models import State, Transmission, TransmissionHold
from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.reports import services as reports
from vigisante.triage import services as triage

pytestmark = pytest.mark.django_db

REASON = "Zq7Hold judicial investigation: the prosecutor asks to wait"


@pytest.fixture
def ars_idf(db):
    return make_authority("ars.idf@example.org", "ars", "IDF")


@pytest.fixture
def dgs(db):
    return make_authority("dgs@example.org", "dgs")


@pytest.fixture
def arrived(reporter_a, early_warning_data):
    """A report of establishment A (Île-de-France), care affected: ARS, HFDS and DGS."""
    return reports.create_early_warning(actor=reporter_a, data=early_warning_data)


def states(report, **filters) -> dict[str, str]:
    return {t.authority: t.state
            for t in Transmission.objects.filter(report=report, **filters)}


def api_clocks(user, report) -> list[dict]:
    response = api_client_for(user).get(f"/api/v1/reports/{report.pk}/clocks/")
    assert response.status_code == 200
    return response.json()


def transmission_clocks(user, report) -> list[dict]:
    return [c for c in api_clocks(user, report) if c["regime"] == "authority_transmission"]


# --- the clock ------------------------------------------------------------------------------

def test_the_delay_to_the_authorities_is_a_clock_for_the_cert(arrived, analyst, reporter_a,
                                                             client_for, settings):
    [clock] = transmission_clocks(analyst, arrived)
    assert clock["state"] == "due" and clock["overdue"] is False
    assert clock["subject"] == "Report received"
    due = arrived.created_at + dt.timedelta(minutes=settings.TRANSMISSION_TARGET_MINUTES)
    assert dt.datetime.fromisoformat(clock["due_at"]) == due
    assert 0 < clock["seconds_left"] <= 3600
    assert {p["code"] for p in clock["parts"]} == {"ars:IDF", "hfds:", "dgs:"}
    # the case page's clocks panel shows it with the regulatory ones
    page = html(client_for(analyst).get(reverse("triage:case", args=[arrived.pk])))
    [card] = page.select('#clocks li.clock[data-regime="authority_transmission"]')
    assert card["data-state"] == "due" and card.select_one(".badge.warn")
    assert len(card.select(".clock-parts li")) == 3
    # sent: met at the sending
    services.deliver()
    [clock] = transmission_clocks(analyst, arrived)
    sent = max(Transmission.objects.filter(report=arrived).values_list("sent_at", flat=True))
    assert clock["state"] == "done_on_time" and clock["seconds_left"] is None
    assert dt.datetime.fromisoformat(clock["done_at"]) == sent
    page = html(client_for(analyst).get(reverse("triage:case", args=[arrived.pk])))
    card = page.select_one('#clocks li.clock[data-regime="authority_transmission"]')
    assert card["data-state"] == "done_on_time" and card.select_one(".badge.ok")
    # a later step is a clock of its own
    triage.qualify(actor=analyst, report_id=arrived.pk, origin="malicious", kind="ransomware")
    clocks = transmission_clocks(analyst, arrived)
    assert [c["state"] for c in clocks] == ["done_on_time", "due"]
    assert clocks[1]["subject"] == "Report qualified by the CERT"


def test_reporters_and_authorities_do_not_see_the_cert_s_clock(arrived, reporter_a, ars_idf,
                                                               client_for):
    services.deliver()
    assert not transmission_clocks(reporter_a, arrived)
    assert {c["regime"] for c in api_clocks(reporter_a, arrived)} >= {"gdpr_breach"}
    page = html(client_for(reporter_a).get(reverse("reports:detail", args=[arrived.pk])))
    assert page.select("#clocks li.clock")
    assert not page.select('#clocks li.clock[data-regime="authority_transmission"]')
    # an authority has no clocks API; its summary says when it was informed
    assert api_client_for(ars_idf).get(
        f"/api/v1/reports/{arrived.pk}/clocks/").status_code == 404
    t = Transmission.objects.get(report=arrived, authority="ars")
    page = html(client_for(ars_idf).get(reverse("authorities:report", args=[arrived.pk])))
    assert page.select_one(f'time[datetime="{timezone.localtime(t.sent_at).isoformat()}"]') \
        or t.sent_at.strftime("%H:%M") in page.get_text()


def test_late_and_sent_late(arrived, analyst):
    Transmission.objects.filter(report=arrived).update(
        due_at=timezone.now() - dt.timedelta(minutes=5))
    [clock] = transmission_clocks(analyst, arrived)
    assert clock["state"] == "due" and clock["overdue"] is True and clock["seconds_left"] < 0
    services.deliver()
    [clock] = transmission_clocks(analyst, arrived)
    assert clock["state"] == "done_late"
    assert {p["state"] for p in clock["parts"]} == {"done_late"}


def test_the_clocks_api_costs_one_query_more_for_staff_only(arrived, analyst, reporter_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients = {user.role: api_client_for(user) for user in (analyst, reporter_a)}

    def measure(role: str) -> int:
        api = clients[role]
        api.get("/api/v1/ping/")  # the token's last use is written once a minute
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"/api/v1/reports/{arrived.pk}/clocks/").status_code == 200
        return len([q for q in queries.captured_queries if "core_audit" not in q["sql"]])

    analyst_count, reporter_count = measure("analyst"), measure("reporter")
    assert analyst_count == reporter_count + 1
    # more steps do not cost more queries
    triage.qualify(actor=analyst, report_id=arrived.pk, origin="malicious", kind="ransomware")
    services.hold(actor=analyst, report_id=arrived.pk, reason="x", to="dgs:")
    assert measure("analyst") == analyst_count


# --- holds per authority --------------------------------------------------------------------

def test_hold_one_authority_while_the_others_are_informed(arrived, analyst, dgs, ars_idf,
                                                          client_for):
    h = services.hold(actor=analyst, report_id=arrived.pk, reason=REASON, to="dgs:")
    assert states(arrived) == {"ars": "pending", "hfds": "pending", "dgs": "held"}
    assert services.deliver() == 2
    assert states(arrived) == {"ars": "sent", "hfds": "sent", "dgs": "held"}
    # the DGS sees nothing; the ARS sees its summary
    assert client_for(dgs).get(reverse("authorities:report", args=[arrived.pk])
                               ).status_code == 404
    assert client_for(ars_idf).get(reverse("authorities:report", args=[arrived.pk])
                                   ).status_code == 200
    # the clock says held, with the reason, and runs on
    [clock] = transmission_clocks(analyst, arrived)
    assert clock["state"] == "held" and REASON in clock["held_reason"]
    assert clock["seconds_left"] > 0
    parts = {p["code"]: p for p in clock["parts"]}
    assert parts["dgs:"]["state"] == "held" and parts["dgs:"]["held_reason"] == REASON
    assert parts["ars:IDF"]["state"] == "done_on_time"
    # a later step: the DGS's transmission waits, the others go
    triage.qualify(actor=analyst, report_id=arrived.pk, origin="malicious", kind="ransomware")
    assert states(arrived, trigger="qualified") == {"ars": "pending", "hfds": "pending",
                                                    "dgs": "held"}
    assert Transmission.objects.get(report=arrived, trigger="qualified",
                                    authority="dgs").hold == h
    # the case page: the hold, its reason on the DGS's rows, a release form for it
    page = html(client_for(analyst).get(reverse("triage:case", args=[arrived.pk])))
    panel = page.select_one("#transmissions")
    [active] = panel.select(".hold-active li")
    assert active["data-authority"] == "dgs" and REASON in active.get_text()
    held_rows = panel.select('tr.transmission[data-state="held"]')
    assert {r["data-authority"] for r in held_rows} == {"dgs"}
    assert all(REASON in r.select_one(".held-reason").get_text() for r in held_rows)
    assert panel.select_one(f'form.release-form[data-hold="{h.pk}"]')
    # the DGS can no longer be chosen; "every authority" still can
    options = [o["value"] for o in panel.select("#id_hold_to option")]
    assert options == ["", "ars:IDF", "hfds:"]
    # the API shows the hold to the CERT only
    data = api_client_for(analyst).get("/api/v1/transmissions/", {"state": "held"}).json()
    assert {r["authority"] for r in data["results"]} == {"dgs"}
    assert all(r["hold"]["reason"] == REASON and r["hold"]["authority"] == "dgs"
               for r in data["results"])
    # release: the DGS is sent both steps, audited with the reason and the note
    assert services.release(actor=analyst, report_id=arrived.pk, hold_id=h.pk,
                            note="Prosecutor agreed") == 2
    services.deliver()
    assert set(states(arrived).values()) == {"sent"}
    audit.flush()
    held = AuditEvent.objects.get(action="transmission.held")
    assert held.after["authority"] == "dgs" and held.after["reason"] == REASON
    released = AuditEvent.objects.get(action="transmission.released")
    assert released.after["note"] == "Prosecutor agreed" and len(
        released.after["transmissions"]) == 2
    # the case's history says who was held back, and the reason
    audit.flush()
    history = html(client_for(analyst).get(reverse("triage:case", args=[arrived.pk]))
                   ).select_one("#history").get_text(" ", strip=True)
    assert "held back the transmissions to Health directorate (DGS)" in history
    assert "held back by the CERT: Health directorate (DGS)" in history
    assert "released the transmissions to Health directorate (DGS)" in history
    dgs_sent = api_client_for(dgs).get("/api/v1/transmissions/").json()["results"]
    assert dgs_sent and all(r["hold"] is None for r in dgs_sent)  # never the CERT's reason


def test_hold_all_and_one_together(arrived, analyst):
    one = services.hold(actor=analyst, report_id=arrived.pk, reason="DGS later", to="dgs:")
    every = services.hold(actor=analyst, report_id=arrived.pk, reason="Wait for all")
    assert every.is_all and set(states(arrived).values()) == {"held"}
    assert Transmission.objects.get(report=arrived, authority="dgs").hold == one
    # nothing more can be held while all are
    with pytest.raises(ValidationError):
        services.hold(actor=analyst, report_id=arrived.pk, reason="x", to="hfds:")
    # releasing the DGS alone sends nothing: the hold of every authority keeps it
    assert services.release(actor=analyst, report_id=arrived.pk, hold_id=one.pk) == 0
    assert Transmission.objects.get(report=arrived, authority="dgs").hold == every
    # releasing every hold sends all
    assert services.release(actor=analyst, report_id=arrived.pk) == 3
    assert set(states(arrived).values()) == {"pending"}
    assert not TransmissionHold.objects.filter(released_at__isnull=True).exists()


def test_release_of_all_keeps_a_hold_on_one(arrived, analyst):
    every = services.hold(actor=analyst, report_id=arrived.pk, reason="Wait for all")
    assert services.release(actor=analyst, report_id=arrived.pk, hold_id=every.pk) == 3
    services.hold(actor=analyst, report_id=arrived.pk, reason="DGS later", to="dgs:")
    assert states(arrived) == {"ars": "pending", "hfds": "pending", "dgs": "held"}


@pytest.mark.parametrize("to", ["defence:", "ars:ARA", "ars:", "DGS:", "x" * 300, "ars:IDF:x",
                                "hfds:IDF"])
def test_a_hold_on_an_authority_foreign_to_the_report_is_refused(arrived, analyst, to):
    with pytest.raises(ValidationError, match="Choose an authority"):
        services.hold(actor=analyst, report_id=arrived.pk, reason="x", to=to)
    assert not TransmissionHold.objects.exists()
    assert not Transmission.objects.filter(state=State.HELD).exists()


def test_the_hold_and_release_forms_refuse_bad_input_without_writing(arrived, analyst,
                                                                      client_for, reporter_a,
                                                                      ars_idf):
    c = client_for(analyst)
    url = reverse("authorities:hold", args=[arrived.pk])
    for data in ({"to": "dgs:", "reason": ""}, {"to": "nobody:", "reason": "x"},
                 {"to": "dgs:", "reason": "x" * 2001}, {"to": "dgs:", "reason": "a\x00b"}):
        response = c.post(url, data, follow=True)
        assert response.status_code == 200
        assert html(response).select(".message.error"), data
    assert not TransmissionHold.objects.exists()
    h = services.hold(actor=analyst, report_id=arrived.pk, reason=REASON, to="dgs:")
    response = c.post(url, {"to": "dgs:", "reason": "again"}, follow=True)
    assert "already held back" in response.content.decode()
    release = reverse("authorities:release", args=[arrived.pk])
    for bad in ("abc", "-1", str(h.pk + 1000), "9" * 30):
        response = c.post(release, {"hold": bad}, follow=True)
        assert response.status_code == 200 and html(response).select(".message.error")
    assert TransmissionHold.objects.get().active
    for user in (reporter_a, ars_idf):
        assert client_for(user).post(release, {"hold": h.pk}).status_code == 404
        assert client_for(user).post(url, {"to": "hfds:", "reason": "x"}).status_code == 404
    assert TransmissionHold.objects.count() == 1
    response = c.post(release, {"hold": h.pk, "note": "ok"}, follow=True)
    assert not TransmissionHold.objects.get().active
    assert states(arrived)["dgs"] == "pending"


def test_an_army_hospital_can_hold_the_defence_chain(reporter_a, early_warning_data, analyst):
    from vigisante.accounts.models import Membership

    army = make_establishment("130000099", "Hôpital d'instruction des armées (synthetic)",
                              category="army", region="PAC", departement="13")
    Membership.objects.create(user=reporter_a, establishment=army)
    report = reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "establishment": army})
    view = services.case_view(report)
    assert view.hold_choices == [("", ""), ("hfds", ""), ("dgs", ""), ("defence", "")]
    services.hold(actor=analyst, report_id=report.pk, reason="x", to="defence:")
    assert states(report) == {"defence": "held", "hfds": "pending", "dgs": "pending"}


# --- the CERT's page of late and held transmissions -----------------------------------------

@pytest.fixture
def overdue_world(arrived, analyst, reporter_b, est_b, early_warning_data):
    """A's report: the DGS held; B's report (Auvergne-Rhône-Alpes): not sent, past target."""
    services.hold(actor=analyst, report_id=arrived.pk, reason=REASON, to="dgs:")
    services.deliver()
    report_b = reports.create_early_warning(actor=reporter_b, data={
        **early_warning_data, "establishment": est_b, "patient_care_affected": "no"})
    Transmission.objects.filter(report=report_b).update(
        due_at=timezone.now() - dt.timedelta(minutes=30))
    return arrived, report_b


def rows(page) -> list[tuple[str, str, str]]:
    return sorted((r.select_one("a.ref").get_text(strip=True), r["data-authority"],
                   r["data-state"]) for r in page.select("table.oversee tr.transmission"))


def test_the_staff_page_lists_late_and_held_transmissions(overdue_world, analyst, client_for):
    a, b = overdue_world
    c = client_for(analyst)
    url = reverse("authorities:oversee")
    page = html(c.get(url))
    assert rows(page) == sorted([(a.reference, "dgs", "held"), (b.reference, "ars", "pending"),
                                 (b.reference, "hfds", "pending")])
    assert REASON in page.select_one('tr[data-state="held"] .held-reason').get_text()
    assert page.select_one(f'a[href="/triage/{b.pk}/#transmissions"]')
    assert all(r.get("data-late") == "1" for r in page.select('tr[data-state="pending"]'))
    # filters
    assert rows(html(c.get(url, {"state": "held"}))) == [(a.reference, "dgs", "held")]
    assert {r[0] for r in rows(html(c.get(url, {"state": "late"})))} == {b.reference}
    assert rows(html(c.get(url, {"authority": "hfds"}))) == [(b.reference, "hfds", "pending")]
    region_b = b.establishment.region
    assert {r[0] for r in rows(html(c.get(url, {"region": region_b})))} == {b.reference}
    assert rows(html(c.get(url, {"state": "sent_late"}))) == []
    services.deliver()
    assert {r[0] for r in rows(html(c.get(url, {"state": "sent_late"})))} == {b.reference}
    # bad filters: an error, no 500, nothing hidden by a wrong value
    response = c.get(url, {"state": "nope", "authority": "<script>", "region": "ZZZ"})
    assert response.status_code == 200
    assert html(response).select('[aria-invalid="true"]')
    assert "<script>" not in response.content.decode()
    # reached from the staff navigation; audited as a read
    home = html(c.get(reverse("triage:queue")))
    assert home.select_one(f'nav a[href="{url}"]')
    audit.flush()
    assert AuditEvent.objects.filter(action="transmission.list", actor_id=analyst.pk).exists()


def test_the_staff_page_is_paged(arrived, analyst, client_for):
    from vigisante.authorities import views

    original = views.OVERSEE_PAGE
    views.OVERSEE_PAGE = 2
    try:
        services.hold(actor=analyst, report_id=arrived.pk, reason="all")
        c = client_for(analyst)
        url = reverse("authorities:oversee")
        first = html(c.get(url))
        assert len(first.select("tr.transmission")) == 2
        assert first.select_one('nav.pagination a[rel="next"]')
        second = html(c.get(url, {"page": 2}))
        assert len(second.select("tr.transmission")) == 1
        assert html(c.get(url, {"page": "999"})).select("tr.transmission")  # the last page
        assert c.get(url, {"page": "x"}).status_code == 200
    finally:
        views.OVERSEE_PAGE = original


def test_only_the_cert_opens_the_staff_page(overdue_world, reporter_a, observer, ars_idf,
                                            client_for, client, settings):
    url = reverse("authorities:oversee")
    a, _b = overdue_world
    for user in (reporter_a, observer, ars_idf):
        response = client_for(user).get(url)
        assert response.status_code == 404, user
        assert a.reference not in response.content.decode()
    assert client.get(url).status_code == 302  # to the login page


def test_the_staff_page_in_both_languages(overdue_world, analyst, client_for):
    c = client_for(analyst)
    url = reverse("authorities:oversee")
    c.cookies["django_language"] = "fr"
    page = html(c.get(url, HTTP_ACCEPT_LANGUAGE="fr"))
    assert page.select_one("h1").get_text() == "Transmissions en retard ou retenues"
    c.cookies["django_language"] = "en"
    page = html(c.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert page.select_one("h1").get_text() == "Late and held transmissions"


# --- pure parts -----------------------------------------------------------------------------

def test_step_clock_of_transmissions(arrived, analyst):
    services.hold(actor=analyst, report_id=arrived.pk, reason=REASON, to="dgs:")
    step = list(Transmission.objects.filter(report=arrived).select_related("hold"))
    clock = deadlines.step_clock(step)
    assert clock.held and clock.time_left(timezone.now()) is not None
    assert clock.is_overdue(clock.due_at + dt.timedelta(seconds=1))
    assert clock.get_regime_display() == "Transmission to the authorities"
