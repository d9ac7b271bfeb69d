"""Every read of case data, every refusal, logout, password events, bad API tokens and every
admin change leave an audit event (security review M3/M4); journaled events are chained by
`audit.flush` into a chain that verifies; the invitation e-mail is not sent while the audit
chain is locked."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, api_client_for, html, make_user
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.accounts import services as account_services
from vigisante.accounts.models import ApiToken, Invitation, Role, User
from vigisante.core import audit
from vigisante.core.middleware import NOT_READS, READS
from vigisante.core.models import AuditEvent, AuditPending
from vigisante.triage.models import Message, Note

pytestmark = pytest.mark.django_db


def events(action: str, **filters) -> list[AuditEvent]:
    """The chained events of `action` (journaled ones are chained first, as the worker
    does every second)."""
    audit.flush()
    return list(AuditEvent.objects.filter(action=action, **filters))


# --- reads of case data -----------------------------------------------------------------------

def test_reporter_reading_a_report_page_is_audited(client_for, reporter_a, report_a):
    response = client_for(reporter_a).get(reverse("reports:detail", args=[report_a.pk]))
    assert response.status_code == 200
    [event] = events("report.view")
    assert event.actor_id == reporter_a.pk
    assert (event.object_type, event.object_id) == ("reports.report", str(report_a.pk))
    assert event.after["path"] == f"/reports/{report_a.pk}/"
    assert event.after["request_id"] == response["X-Request-ID"]


def test_api_detail_and_list_reads_are_audited(reporter_a, report_a):
    api = api_client_for(reporter_a)
    assert api.get(f"/api/v1/reports/{report_a.pk}/").status_code == 200
    assert api.get("/api/v1/reports/", {"limit": 5}).status_code == 200
    [view] = events("report.view")
    assert view.actor_id == reporter_a.pk and view.object_id == str(report_a.pk)
    [listing] = events("report.list")
    assert listing.actor_id == reporter_a.pk and listing.after["query"] == "limit=5"


def test_analyst_reading_case_page_queue_and_api_is_audited(client_for, analyst, report_a):
    web = client_for(analyst)
    assert web.get(reverse("triage:case", args=[report_a.pk])).status_code == 200
    assert web.get(reverse("triage:queue")).status_code == 200
    assert api_client_for(analyst).get(
        f"/api/v1/triage/cases/{report_a.pk}/").status_code == 200
    views = events("case.view")
    assert [e.object_id for e in views] == [str(report_a.pk)] * 2
    assert {e.actor_id for e in views} == {analyst.pk}
    assert len(events("case.list")) == 1


@pytest.mark.django_db(transaction=True)  # the real worker closes a connection left in a
# transaction (close_old_connections): on PostgreSQL the test must not run inside one
def test_observatory_exports_are_audited(client_for, analyst, observer, run_tasks):
    from vigisante.observatory.models import Snapshot

    assert client_for(analyst).get(reverse("observatory:index"),
                                   {"year": 2023}).status_code == 200  # queued
    run_tasks()
    snap = Snapshot.objects.get(state="done")
    assert client_for(analyst).get(reverse("observatory:snapshot_file", args=[
        snap.pk, "figures.json"])).status_code == 200
    assert api_client_for(analyst).get("/api/v1/observatory/",
                                       {"year": 2023}).status_code == 200
    exports = events("observatory.export")
    assert [e.actor_id for e in exports] == [analyst.pk, analyst.pk]
    assert exports[0].object_id == str(snap.pk)
    assert exports[1].after["query"] == "year=2023"


def test_transmission_lists_and_the_cert_s_clocks_are_audited(client_for, analyst, report_a):
    """The CERT's page of late and held transmissions, the transmissions API and the clocks
    API (with the transmission clocks) are reads of case data."""
    from vigisante.authorities.models import Transmission

    assert client_for(analyst).get(reverse("authorities:oversee")).status_code == 200
    api = api_client_for(analyst)
    assert api.get("/api/v1/transmissions/").status_code == 200
    t = Transmission.objects.filter(report=report_a).first()
    assert t is not None
    assert api.get(f"/api/v1/transmissions/{t.pk}/").status_code == 200
    assert api.get(f"/api/v1/reports/{report_a.pk}/clocks/").status_code == 200
    listed = events("transmission.list")
    assert [e.after["path"] for e in listed] == ["/authorities/transmissions/",
                                                 "/api/v1/transmissions/"]
    [viewed] = events("transmission.view")
    assert (viewed.object_type, viewed.object_id) == ("authorities.transmission", str(t.pk))
    [clocks] = events("report.view", object_id=str(report_a.pk))
    assert clocks.actor_id == analyst.pk


def test_writes_and_failed_reads_are_not_counted_as_reads(client_for, reporter_a, report_a):
    client = client_for(reporter_a)
    assert client.get(reverse("reports:detail", args=[report_a.pk + 999])).status_code == 404
    assert not events("report.view")


# --- refusals ---------------------------------------------------------------------------------

def test_another_establishments_report_is_refused_and_audited(client_for, reporter_b,
                                                             report_a):
    assert client_for(reporter_b).get(
        reverse("reports:detail", args=[report_a.pk])).status_code == 404
    assert api_client_for(reporter_b).get(
        f"/api/v1/reports/{report_a.pk}/").status_code == 404
    denied = events("access.denied")
    assert len(denied) == 2
    assert {e.actor_id for e in denied} == {reporter_b.pk}
    assert {e.object_id for e in denied} == {str(report_a.pk)}
    assert {e.after["status"] for e in denied} == {404}
    assert not events("report.view")


def test_forbidden_answers_are_audited(client_for, reporter_a, report_a):
    # a reporter posting to the triage API: refused (403 or 404, whichever the policy says)
    response = api_client_for(reporter_a).post(
        f"/api/v1/triage/cases/{report_a.pk}/notes/", {"text": "x"}, format="json")
    assert response.status_code in (403, 404)
    [event] = events("access.denied")
    assert event.actor_id == reporter_a.pk and event.after["method"] == "POST"


def test_bad_api_token_is_audited_without_the_token(client, reporter_a):
    token, raw = ApiToken.issue(reporter_a, "old")
    token.revoke()
    for sent in ("vs_not-a-real-token-0123456789", raw):
        response = client.get("/api/v1/reports/", HTTP_AUTHORIZATION=f"Token {sent}")
        assert response.status_code == 401
    bad = events("auth.token_invalid")
    assert [e.after["prefix"] for e in bad] == ["vs_not-a", raw[:8]]
    assert all(raw not in str(e.after) for e in bad)


# --- sessions and passwords ------------------------------------------------------------------

def test_logout_is_audited(client_for, reporter_a):
    client = client_for(reporter_a)
    assert client.post(reverse("accounts:logout")).status_code == 302
    [event] = events("auth.logout")
    assert event.actor_id == reporter_a.pk


def test_password_reset_request_and_completion_are_audited(client, reporter_a):
    client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    client.post(reverse("accounts:password_reset"), {"email": reporter_a.email})
    requested = events("auth.password_reset_requested")
    assert [(e.object_id, e.after["known"]) for e in requested] == [
        ("", False), (str(reporter_a.pk), True)]
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[0].body)
    set_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "a-new-long-passphrase-42",
                          "new_password2": "a-new-long-passphrase-42"})
    [done] = events("auth.password_reset")
    assert done.actor_id == reporter_a.pk


def test_password_change_is_audited(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "another-long-passphrase-7",
        "new_password2": "another-long-passphrase-7"})
    assert response.status_code == 302
    [event] = events("auth.password_changed")
    assert event.actor_id == reporter_a.pk


# --- the Django admin -------------------------------------------------------------------------

@pytest.fixture
def superuser_client(client_for):
    user = make_user("root@example.org", Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return client_for(user), user


@pytest.fixture
def exchanges(report_a, analyst):
    case = report_a.case
    now = timezone.now()
    note = Note.objects.create(case=case, author=analyst, text="Note interne", at=now)
    message = Message.objects.create(case=case, author=analyst, text="Message au CH", at=now,
                                     from_cert=True)
    return note, message


@pytest.mark.parametrize("model", ["note", "message"])
def test_admin_cannot_delete_notes_or_messages(superuser_client, exchanges, model):
    client, _user = superuser_client
    obj = exchanges[0] if model == "note" else exchanges[1]
    url = reverse(f"admin:triage_{model}_delete", args=[obj.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:triage_{model}_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk],
                             "post": "yes"})
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_admin_looking_at_a_note_is_audited(superuser_client, exchanges):
    client, user = superuser_client
    note = exchanges[0]
    assert client.get(reverse("admin:triage_note_change", args=[note.pk])).status_code == 200
    [event] = events("admin.view")
    assert (event.actor_id, event.object_type, event.object_id) == (
        user.pk, "triage.note", str(note.pk))


def test_admin_cannot_delete_tokens(superuser_client, reporter_a):
    client, _user = superuser_client
    token, _raw = ApiToken.issue(reporter_a, "keep")
    url = reverse("admin:accounts_apitoken_delete", args=[token.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_admin_totp_device_change_and_delete_are_audited_and_key_hidden(superuser_client,
                                                                       analyst):
    client, user = superuser_client
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    url = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = client.get(url).content.decode()
    assert device.key not in page
    response = client.post(url, {
        "user": analyst.pk, "name": "phone", "confirmed": "on", "step": 30, "t0": 0,
        "digits": 8, "tolerance": 1, "drift": 0, "throttling_failure_count": 0})
    assert response.status_code == 302, response.content.decode()[:3000]
    device.refresh_from_db()
    assert device.digits == 8
    [change] = events("admin.change", object_type="otp_totp.totpdevice")
    assert change.actor_id == user.pk
    assert change.before == {"digits": 6} and change.after == {"digits": 8}
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    [deleted] = events("admin.delete", object_type="otp_totp.totpdevice")
    assert deleted.object_id == str(device.pk) and "key" not in deleted.before


def test_admin_deleting_an_invitation_is_audited(superuser_client, analyst, est_a):
    client, user = superuser_client
    invitation, _raw = Invitation.new(email="x@example.org", invited_by=analyst)
    response = client.post(reverse("admin:accounts_invitation_delete", args=[invitation.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    [event] = events("admin.delete", object_type="accounts.invitation")
    assert event.actor_id == user.pk and event.before["email"] == "x@example.org"


# --- the chain --------------------------------------------------------------------------------

def test_journaled_events_are_chained_in_order_and_verify(reporter_a):
    audit.record(actor=reporter_a, action="test.first", object_type="t", object_id="1")
    for i in range(7):
        audit.journal(actor=reporter_a, action="test.read", object_type="t",
                      object_id=str(i), after={"i": i, "texte": "déjà vu\x00"})
    assert AuditPending.objects.count() == 7
    assert audit.flush(batch=3) == 7
    assert not AuditPending.objects.exists()
    audit.record(actor=None, action="test.last", object_type="t", object_id="2")
    chained = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in chained] == ["test.first", *["test.read"] * 7, "test.last"]
    assert [e.after["i"] for e in chained[1:8]] == list(range(7))
    result = audit.verify(chunk=2)
    assert result.ok and result.checked == 9, result


def test_verify_command_chains_journaled_events_first(reporter_a, capsys):
    from django.core.management import call_command

    audit.journal(actor=reporter_a, action="test.read", object_type="t", object_id="1")
    call_command("audit", "verify")
    assert "intact: 1 events" in capsys.readouterr().out


def test_worker_chains_journaled_events(reporter_a):
    from vigisante.clocks.worker import ClockWorker

    audit.journal(actor=reporter_a, action="test.read", object_type="t", object_id="1")
    ClockWorker(interval=0, scan_every=3600).run_periodic()
    assert not AuditPending.objects.exists()
    assert AuditEvent.objects.filter(action="test.read").count() == 1


# --- the audit write stays out of slow work ---------------------------------------------------

def test_invitation_mail_is_sent_before_the_audit_chain_is_locked(analyst, est_a,
                                                                  monkeypatch):
    """The head of the chain is locked from the audit write to the commit: the (slow) mail
    server must be done by then."""
    seen = []
    real_send = account_services.send_mail

    def send_and_look(*args, **kwargs):
        seen.append(AuditEvent.objects.filter(action="accounts.invitation_sent").exists())
        return real_send(*args, **kwargs)

    monkeypatch.setattr(account_services, "send_mail", send_and_look)
    account_services.invite(actor=analyst, email="new@example.org", establishments=[est_a])
    assert seen == [False]
    assert len(events("accounts.invitation_sent")) == 1


# --- no route escapes ---------------------------------------------------------------------------

def _routes(resolver=None, namespace="", prefix=""):
    """(name, whole pattern): the prefixes of the includes are kept, so a route whose report
    id sits in an include's prefix (/reports/<int:pk>/drafts/...) is seen too."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


def test_every_route_of_a_report_or_case_is_audited_or_explained():
    """A new page or API route holding a report id must be added to READS (or NOT_READS
    with the reason): this fails otherwise."""
    missing = [name for name, pattern in _routes()
               if not name.startswith("admin:")
               and re.search(r"<int:(pk|report_id)>", pattern)
               and (name.split(":")[0] in {"reports", "reports-api", "triage", "triage-api"}
                    or "report" in pattern)
               and name not in READS and name not in NOT_READS]
    assert not missing, f"routes with case data neither audited nor explained: {missing}"
    known = {name for name, _pattern in _routes()}
    assert not (set(READS) | set(NOT_READS)) - known


# --- pages added with the authorities and the campaigns (found by re-testing issue 9) -------

@pytest.mark.django_db(transaction=True)  # the real worker closes a connection left in a
# transaction (close_old_connections): on PostgreSQL the test must not run inside one
def test_authority_dashboard_and_every_reading_of_a_report_panel_are_audited(
        client_for, analyst, reporter_a, early_warning_data, run_tasks):
    """The authority's start page lists the open incidents of its scope; the report panel is
    read by authorities (every time, not only the first) and by CERT staff."""
    from authorities_world import make_authority

    from vigisante.reports import services as report_services

    ars = make_authority("ars.audit@example.org", "ars", reporter_a.establishments.get().region)
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    run_tasks()  # the worker sends the transmission to the ARS of the region
    authority = client_for(ars)
    assert authority.get(reverse("authorities:dashboard")).status_code == 200
    [listed] = events("transmission.list")
    assert listed.actor_id == ars.pk
    panel = reverse("authorities:report", args=[report.pk])
    assert client_for(analyst).get(panel).status_code == 200
    [staff_read] = events("report.view", actor=analyst)
    assert staff_read.object_id == str(report.pk)
    assert authority.get(panel).status_code == 200
    assert authority.get(panel).status_code == 200
    assert len(events("report.view", actor=ars)) == 2


def test_campaigns_api_reads_are_audited_like_the_pages(analyst, report_a):
    from indicator_helpers import make_campaign

    campaign = make_campaign([report_a], [])
    api = api_client_for(analyst)
    assert api.get("/api/v1/campaigns/").status_code == 200
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 200
    assert [e.actor_id for e in events("campaign.list")] == [analyst.pk]
    [viewed] = events("campaign.view")
    assert viewed.object_id == str(campaign.pk)


# --- privileges and lockouts through the admin (found by re-testing issue 9) -----------------

def _form_data(page: str) -> dict:
    """Every field of the admin's change form with its current value, as a browser posts it."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(page, "html.parser").select_one("form#user_form")
    data: dict = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            values = [o.get("value", "") for o in field.select("option[selected]")]
            if values:
                data[name] = values if field.has_attr("multiple") else values[0]
        elif field.name == "textarea":
            data[name] = field.text
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field.get("value", "on"))
        elif field.get("type") not in ("submit", "button"):
            data[name] = field.get("value", "")
    return data


def test_admin_granting_a_permission_to_a_user_is_audited(superuser_client, reporter_a):
    """A user's permissions and groups are many-to-many links saved after the user itself:
    granting one through the admin was not audited."""
    from django.contrib.auth.models import Permission

    client, user = superuser_client
    url = reverse("admin:accounts_user_change", args=[reporter_a.pk])
    data = _form_data(client.get(url).content.decode())
    perm = Permission.objects.get(codename="change_user")
    data["user_permissions"] = [str(perm.pk)]
    data["_save"] = "Save"
    response = client.post(url, data)
    assert response.status_code == 302, (data, [e.text for e in html(response).select(
        ".errorlist, .errornote")])
    assert list(reporter_a.user_permissions.all()) == [perm]
    [change] = [e for e in events("admin.change", object_type="accounts.user")
                if "user_permissions" in (e.after or {})]
    assert change.actor_id == user.pk
    assert change.before == {"user_permissions": []}
    assert change.after == {"user_permissions": [perm.pk]}


def test_admin_has_no_groups_page(superuser_client):
    client, _user = superuser_client
    assert client.get("/admin/auth/group/").status_code == 404


def test_admin_lifting_a_login_lockout_is_audited(superuser_client, reporter_a):
    from axes.models import AccessAttempt

    client, user = superuser_client
    attempt = AccessAttempt.objects.create(username=reporter_a.email, ip_address="192.0.2.9",
                                           user_agent="x", get_data="", post_data="",
                                           http_accept="", path_info="/accounts/login/",
                                           failures_since_start=5)
    response = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    [event] = events("admin.delete", object_type="axes.accessattempt")
    assert event.actor_id == user.pk and event.before["username"] == reporter_a.email
