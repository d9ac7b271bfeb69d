"""The analyst pages (queue, case) and the reporter's panel, through Django's test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vigisante.core.models import AuditEvent
from vigisante.reports import services as report_services
from vigisante.triage import exchanges, services
from vigisante.triage.domain import State
from vigisante.triage.models import Case, Message, Note

pytestmark = pytest.mark.django_db


def select(html: str, selector_id: str) -> str:
    """The text of the element with this id (a tiny CSS-id selector)."""
    match = re.search(rf'<[^>]+id="{re.escape(selector_id)}"[^>]*>(.*?)</', html, re.S)
    return match.group(1).strip() if match else ""


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read English messages: ask for English whatever the default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


@pytest.fixture
def many_reports(reporter_a, reporter_b, est_a, est_b, analyst):
    """30 reports over two establishments, a few qualified and assigned."""
    out = []
    for i in range(30):
        est, who = (est_a, reporter_a) if i % 2 else (est_b, reporter_b)
        r = report_services.create_early_warning(actor=who, data=dict(
            establishment=est, description=f"Incident numéro {i}",
            discovered_at=timezone.now() - dt.timedelta(hours=1)))
        out.append(r)
    for r in out[:5]:
        services.qualify(actor=analyst, report_id=r.pk, origin="malicious", kind="ddos")
        services.assign(actor=analyst, report_id=r.pk, assignee=analyst.pk)
    return out


def test_home_sends_staff_to_the_queue(client_for, analyst):
    response = client_for(analyst).get("/")
    assert response.status_code == 302 and response.url == reverse("triage:queue")


@pytest.mark.parametrize("who", ["reporter_a", "observer"])
def test_queue_and_case_are_404_for_non_staff(who, request, client_for, report):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("triage:queue")).status_code == 404
    assert client.get(reverse("triage:case", args=[report.pk])).status_code == 404
    assert client.post(reverse("triage:qualify", args=[report.pk]), {
        "version": 1, "origin": "malicious", "kind": "ddos"}).status_code == 404
    assert client.post(reverse("triage:note", args=[report.pk]), {"text": "x"}).status_code \
        == 404
    assert not Note.objects.exists()


def test_anonymous_is_sent_to_login(client, report):
    response = client.get(reverse("triage:queue"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_queue_newest_first_with_filters(client_for, analyst, many_reports):
    client = client_for(analyst)
    html = client.get(reverse("triage:queue")).content.decode()
    refs = re.findall(r'class="ref" href="/triage/(\d+)/"', html)
    assert [int(x) for x in refs] == [r.pk for r in reversed(many_reports)][:25]

    def listed(**params):
        response = client.get(reverse("triage:queue"), params)
        assert response.status_code == 200
        return {int(x) for x in re.findall(r'data-report="(\d+)"', response.content.decode())}

    qualified = {r.pk for r in many_reports[:5]}
    assert listed(state="qualified") == qualified
    assert listed(kind="ddos", per_page=100) == qualified
    assert listed(assigned="me") == qualified
    assert listed(assigned="none", per_page=100) == {r.pk for r in many_reports[5:]}
    assert listed(region="ARA", per_page=100) == {r.pk for r in many_reports[::2]}
    assert listed(category="ehpad", per_page=100) == {r.pk for r in many_reports[::2]}
    assert listed(q="numéro 7") == {many_reports[7].pk}
    assert listed(q=many_reports[3].reference) == {many_reports[3].pk}
    assert listed(severity="major") == set()
    oldest = client.get(reverse("triage:queue"), {"sort": "received"}).content.decode()
    first = re.search(r'data-report="(\d+)"', oldest).group(1)
    assert int(first) == many_reports[0].pk
    for sort in ("severity", "-severity", "state", "-state", "establishment", "reference"):
        assert client.get(reverse("triage:queue"), {"sort": sort}).status_code == 200


def test_queue_overdue_filter(client_for, analyst, many_reports):
    from vigisante.clocks.models import Clock

    target = many_reports[4]
    past = timezone.now() - dt.timedelta(hours=2)
    Clock.objects.filter(report__in=many_reports).update(state="done_on_time")
    Clock.objects.update_or_create(report=target, regime="cert_resolution", defaults=dict(
        recipient="CERT", starts_at=past - dt.timedelta(days=1), due_at=past, state="due"))
    response = client_for(analyst).get(reverse("triage:queue"), {"overdue": "on"})
    ids = re.findall(r'data-report="(\d+)"', response.content.decode())
    assert ids == [str(target.pk)]
    assert "1 overdue" in response.content.decode()


def test_bad_filters_are_shown_not_500(client_for, analyst, many_reports):
    response = client_for(analyst).get(reverse("triage:queue"), {
        "state": "teleported", "region": "<script>", "page": "9999", "per_page": "7",
        "q": "x" * 5000, "sort": "password"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in html and "<script>" not in html.split("<main")[1].split("</form>")[0]


def test_queue_query_count_is_bounded_and_independent_of_page_size(
        client_for, analyst, many_reports, django_assert_max_num_queries):
    client = client_for(analyst)
    client.get(reverse("triage:queue"))  # the session's first activity stamp is written once
    counts = []
    for size in (25, 100):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("triage:queue"), {"per_page": size})
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(10):
        client.get(reverse("triage:queue"), {"per_page": 100, "overdue": "on", "state":
                                             "qualified", "q": "Incident", "sort": "-severity"})


def test_bulk_acknowledge_from_the_queue(client_for, analyst, many_reports):
    ids = [many_reports[10].pk, many_reports[11].pk, many_reports[0].pk]
    response = client_for(analyst).post(reverse("triage:queue"), {
        "report_ids": ids, "query": "state=received"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?state=received")
    assert Case.objects.filter(report_id__in=ids[:2], state=State.ACKNOWLEDGED).count() == 2
    html = response.content.decode()
    assert many_reports[10].reference in html
    assert "Not acknowledged" in html  # report 0 is already qualified
    response = client_for(analyst).post(reverse("triage:queue"), {"report_ids": ["x"]},
                                        follow=True)
    assert response.status_code == 200 and "is not a report id" in response.content.decode()


def test_case_page_shows_everything_and_only_allowed_buttons(client_for, analyst, report,
                                                             reporter_a):
    exchanges.add_note(actor=analyst, report_id=report.pk, text="Secret note")
    exchanges.send_message(actor=analyst, report_id=report.pk, text="Hello establishment")
    exchanges.reply(actor=reporter_a, report_id=report.pk, text="Hello CERT")
    response = client_for(analyst).get(reverse("triage:case", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    buttons = re.findall(r'name="to_state" value="(\w+)"', html)
    assert buttons == ["acknowledged", "rejected", "duplicate"]
    for text in ("Secret note", "Hello establishment", "Hello CERT", report.reference,
                 "report.create", "case.note", 'id="suggested-severity"'):
        assert text in html
    assert select(html, "case-state") == "Received"


def test_case_page_for_unknown_or_huge_ids_is_404(client_for, analyst):
    client = client_for(analyst)
    assert client.get("/triage/999999/").status_code == 404
    assert client.get("/triage/99999999999999999999999999/").status_code == 404
    assert client.post("/triage/99999999999999999999999999/notes/", {"text": "x"}).status_code \
        == 404
    assert client.get("/triage/abc/").status_code == 404


def test_qualify_and_transition_through_the_page(client_for, analyst, report):
    client = client_for(analyst)
    url = reverse("triage:qualify", args=[report.pk])
    response = client.post(url, {"version": 1, "origin": "malicious", "kind": "ransomware",
                                 "ransomware_extent": "one_server"})
    assert response.status_code == 302 and response.url.endswith("#qualification")
    case = Case.objects.get(report=report)
    assert case.state == State.QUALIFIED and case.severity == case.suggested_severity
    response = client.post(reverse("triage:transition", args=[report.pk]), {
        "version": case.version, "to_state": "in_support"})
    assert response.status_code == 302
    assert Case.objects.get(report=report).state == State.IN_SUPPORT


def test_form_errors_are_next_to_the_fields(client_for, analyst, report):
    client = client_for(analyst)
    response = client.post(reverse("triage:qualify", args=[report.pk]), {
        "version": 1, "origin": "non_malicious", "kind": "ransomware", "severity": "huge"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field field-error"' in html and "not one of the available choices" in html
    response = client.post(reverse("triage:qualify", args=[report.pk]), {
        "version": 1, "origin": "non_malicious", "kind": "ransomware"})
    assert response.status_code == 400
    assert "not a non-malicious kind" in response.content.decode()
    response = client.post(reverse("triage:transition", args=[report.pk]), {
        "version": 1, "to_state": "closed"})
    assert response.status_code == 400
    assert "cannot become" in response.content.decode()
    response = client.post(reverse("triage:transition", args=[report.pk]), {
        "version": 1, "to_state": "rejected"})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    response = client.post(reverse("triage:support", args=[report.pk]), {
        "type": "on_site", "started_at": "2999-01-01T10:00", "out_of_hours": "auto"})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    response = client.post(reverse("triage:qualify", args=[report.pk]), {
        "origin": "malicious", "kind": "ddos"})
    assert response.status_code == 409 and "reload" in response.content.decode().lower()
    assert Case.objects.get(report=report).version == 1


def test_conflict_on_the_page_names_who_changed_it(client_for, analyst, admin_user, report):
    mine = client_for(analyst)
    theirs = client_for(admin_user)
    assert theirs.post(reverse("triage:assign", args=[report.pk]), {
        "version": 1, "assigned_to": str(analyst.pk)}).status_code == 302
    response = mine.post(reverse("triage:qualify", args=[report.pk]), {
        "version": 1, "origin": "malicious", "kind": "ddos"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by admin" in html and "Reload the case" in html
    case = Case.objects.get(report=report)
    assert case.kind == "" and case.assigned_to == analyst


def test_huge_texts_and_bodies_never_500(client_for, analyst, report):
    client = client_for(analyst)
    response = client.post(reverse("triage:note", args=[report.pk]), {"text": "x" * 200_000})
    assert response.status_code == 400
    response = client.post(reverse("triage:message", args=[report.pk]),
                           {"text": "x" * 3_000_000})
    assert response.status_code == 413  # larger than DATA_UPLOAD_MAX_MEMORY_SIZE
    assert not Note.objects.exists() and not Message.objects.exists()


def test_notes_messages_support_assign_from_the_page(client_for, analyst, report):
    client = client_for(analyst)
    assert client.post(reverse("triage:note", args=[report.pk]),
                       {"text": "internal"}).status_code == 302
    assert client.post(reverse("triage:message", args=[report.pk]),
                       {"text": "to them"}).status_code == 302
    assert client.post(reverse("triage:support", args=[report.pk]), {
        "type": "remote_advice", "started_at": "2025-06-07T10:00", "out_of_hours": "auto",
        "notes": ""}).status_code == 302
    assert client.post(reverse("triage:assign", args=[report.pk]), {
        "version": 1, "assigned_to": str(analyst.pk)}).status_code == 302
    case = Case.objects.get(report=report)
    assert case.assigned_to == analyst and case.supports.get().out_of_hours  # a Saturday
    assert AuditEvent.objects.filter(object_type="triage.case").count() == 4


def test_reporter_sees_state_and_messages_never_notes_and_can_answer(
        client_for, analyst, report, reporter_a, reporter_b):
    services.qualify(actor=analyst, report_id=report.pk, origin="malicious", kind="phishing")
    exchanges.add_note(actor=analyst, report_id=report.pk, text="CONFIDENTIAL-NOTE")
    exchanges.send_message(actor=analyst, report_id=report.pk, text="Please reset passwords")
    client = client_for(reporter_a)
    html = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'id="cert-messages"' in html and 'data-case-state="qualified"' in html
    assert "Please reset passwords" in html and "CONFIDENTIAL-NOTE" not in html
    response = client.post(reverse("triage:reply", args=[report.pk]), {"text": "Done"})
    assert response.status_code == 302 and response.url.endswith("#cert-messages")
    assert Message.objects.filter(from_cert=False, text="Done").exists()
    response = client.post(reverse("triage:reply", args=[report.pk]), {"text": ""})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert client_for(reporter_b).post(reverse("triage:reply", args=[report.pk]),
                                       {"text": "intrusion"}).status_code == 404
    assert client_for(analyst).get(reverse("triage:reply", args=[report.pk])).status_code == 404


def test_every_report_is_reachable_by_paging(client_for, analyst, many_reports, monkeypatch):
    # The page counts exactly (the former 1,000 cap left ~2,400 demo reports unreachable).
    from vigisante.triage import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 10)  # the API's cap; the page has none
    c = client_for(analyst)
    html = c.get(reverse("triage:queue"), {"per_page": 25, "state": "all"}).content.decode()
    assert "30 reports" in html and "Page 1 of 2" in html
    last = c.get(reverse("triage:queue"), {"per_page": 25, "state": "all", "page": 2})
    assert len(re.findall(r'data-report="(\d+)"', last.content.decode())) == 5
    assert f'data-report="{many_reports[0].pk}"' in last.content.decode()  # the oldest
    html = c.get(reverse("triage:queue"), {"state": "qualified"}).content
    assert b"5 reports" in html


def test_admin_shows_cases_read_only(report, db):
    from conftest import login
    from django.test import Client

    from vigisante.accounts.models import User

    boss = User.objects.create_superuser(email="root@example.org", password="x" * 12)
    client = Client()
    login(client, boss)
    case = Case.objects.get(report=report)
    assert client.get("/admin/triage/case/").status_code == 200
    assert client.get(f"/admin/triage/case/{case.pk}/change/").status_code == 200
    assert client.post(f"/admin/triage/case/{case.pk}/change/", {"state": "closed"}
                       ).status_code == 403
    assert Case.objects.get(pk=case.pk).state == State.RECEIVED
