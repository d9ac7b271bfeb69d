"""Alerts to establishments: drafts, sending exactly once, e-mails, read receipts, permissions,
the analyst's pages and bad input on the alert form."""

from __future__ import annotations

import pytest
from alerts_world import build, draft
from conftest import html, make_user
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from vigisante.accounts.models import Role
from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.indicators.models import Indicator
from vigisante.notifications.models import NotificationPreference
from vigisante.sharing import services
from vigisante.sharing.domain import Targets
from vigisante.sharing.models import Alert, AlertRead, AlertRecipient

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(analyst):
    w = build(analyst)
    mail.outbox.clear()
    return w


def alert_mails() -> list:
    return [m for m in mail.outbox if "[TLP:" in m.subject]


def sent_alert(world, **overrides) -> Alert:
    alert = services.save_draft(actor=world.analyst, draft=draft(world, **overrides))
    services.send(actor=world.analyst, alert=alert)
    return alert


# -- Sending, exactly once ---------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks, as in production
def test_send_delivers_once_and_emails_once(world, run_tasks):
    alert = services.save_draft(actor=world.analyst, draft=draft(world))
    assert AuditEvent.objects.filter(action="sharing.alert_draft").count() == 1
    first = services.send(actor=world.analyst, alert=alert)
    assert not first.already_sent and first.recipients == 5  # 4 victims + the bystander
    again = services.send(actor=world.analyst, alert=alert)
    assert again.already_sent and again.recipients == 5
    assert DBTaskResult.objects.filter(task_path__endswith="email_alert").count() == 1
    assert AlertRecipient.objects.filter(alert=alert).count() == 5
    assert AuditEvent.objects.filter(action="sharing.alert_sent").count() == 1
    run_tasks()
    assert sorted(m.to[0] for m in alert_mails()) == sorted(
        u.email for u in [*world.reporters, world.bystander_reporter])
    assert all(r.emailed_at for r in AlertRecipient.objects.filter(alert=alert))
    # a second run of the task (a retry) e-mails nobody again
    assert services.email_alert(alert.pk) == 0
    run_tasks()
    assert len(alert_mails()) == 5
    assert audit.verify().ok


def test_targets_select_the_recipients(world):
    alert = sent_alert(world, targets=Targets(region=frozenset({"IDF", "ARA"}),
                                              category=frozenset({"ch"})))
    assert [r.establishment for r in alert.recipients.all()] == [world.victims[0]]
    alert = sent_alert(world, targets=Targets(suppliers=frozenset({world.supplier.pk})))
    assert {r.establishment for r in alert.recipients.all()} == set(world.victims)


def test_email_language_and_tlp(world):
    NotificationPreference.objects.create(user=world.reporters[0], language="en")
    NotificationPreference.objects.create(user=world.reporters[1], language="fr")
    NotificationPreference.objects.create(user=world.reporters[2], alert=False)
    alert = sent_alert(world)
    assert services.email_alert(alert.pk) == 4
    by_to = {m.to[0]: m for m in mail.outbox}
    assert world.reporters[2].email not in by_to  # chose not to receive alerts
    english = by_to[world.reporters[0].email]
    assert english.subject.startswith("[Vigisanté] [TLP:GREEN] CERT alert: Vague")
    assert "What to do" in english.body and "192.0.2.45" in english.body
    french = by_to[world.reporters[1].email]
    assert "Alerte du CERT" in french.subject and "Que faire" in french.body
    for msg in mail.outbox:
        assert "{{" not in msg.body and "&#x27;" not in msg.body and "&amp;" not in msg.body
        assert "\n" not in msg.subject
    mail.outbox.clear()
    alert = sent_alert(world, tlp="amber", title="Alerte restreinte")
    services.email_alert(alert.pk)
    body = mail.outbox[0].body
    assert "TLP:AMBER" in mail.outbox[0].subject
    assert "192.0.2.45" not in body and alert.situation[:30] not in body
    assert reverse("sharing:detail", args=[alert.pk]) in body


class Broken(Exception):
    pass


class FailingBackend:
    def __init__(self, *a, **k):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def send_messages(self, messages):
        raise Broken("SMTP down")


def test_failed_emails_are_retried_later_never_twice(world, monkeypatch):
    alert = services.save_draft(actor=world.analyst, draft=draft(world))
    services.send(actor=world.analyst, alert=alert)
    monkeypatch.setattr("vigisante.notifications.services.get_connection",
                        lambda **k: FailingBackend())
    with pytest.raises(Broken):
        services.email_alert(alert.pk)
    assert not AlertRecipient.objects.filter(alert=alert, emailed_at__isnull=False).exists()
    monkeypatch.undo()
    assert services.email_alert(alert.pk) == 5
    assert services.email_alert(alert.pk) == 0
    assert len(mail.outbox) == 5


def test_a_sent_alert_cannot_be_changed(world):
    alert = sent_alert(world)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.save_draft(actor=world.analyst, draft=draft(world, title="x"), alert=alert)


def test_guard_refuses_an_alert_naming_a_reporting_establishment(world):
    for field, text in (("title", "Fausses factures : Valbrune touché"),
                        ("situation", f"Signalé sous {world.reports[2].reference}."),
                        ("actions", "Appelez le 01 40 00 00 01")):
        alert = services.save_draft(actor=world.analyst, draft=draft(world, **{field: text}))
        with pytest.raises(ValidationError) as exc:
            services.send(actor=world.analyst, alert=alert)
        assert field in exc.value.message_dict
        assert "never says who reported" in exc.value.message_dict[field][0]
        assert not AlertRecipient.objects.filter(alert=alert).exists()
        assert Alert.objects.get(pk=alert.pk).sent_at is None
    # an indicator that is a reporting establishment's own address
    own = Indicator.objects.create(type="email", value=world.reporters[1].email,
                                   status="confirmed", tlp="green", first_seen=alert.created_at,
                                   last_seen=alert.created_at)
    alert = services.save_draft(actor=world.analyst,
                                draft=draft(world, indicators=[*world.indicators, own]))
    assert "indicators" in services.problems(alert)


def test_indicator_rules(world):
    pending = Indicator.objects.create(type="ipv4", value="198.51.100.7", status="pending",
                                       first_seen=world.campaign.created_at,
                                       last_seen=world.campaign.created_at)
    found, errors = services.find_indicators(["192.0.2.45", " FACTURE-SANTE[.]example ",
                                              "198.51.100.7", "203.0.113.99", ""])
    assert [i.value for i in found] == ["facture-sante.example", "192.0.2.45"]
    assert "not shareable" in errors[0] and "not a known indicator" in errors[1]
    red = Indicator.objects.create(type="ipv4", value="203.0.113.5", status="confirmed",
                                   tlp="red", first_seen=pending.first_seen,
                                   last_seen=pending.first_seen)
    with pytest.raises(ValidationError, match="TLP:RED"):
        services.save_draft(actor=world.analyst, draft=draft(world, indicators=[red]))
    # an indicator flagged as noise after the draft blocks the sending
    alert = services.save_draft(actor=world.analyst, draft=draft(world))
    Indicator.objects.filter(pk=world.indicators[0].pk).update(noisy=True)
    assert "No longer confirmed" in services.problems(alert)["indicators"][0]


# -- Reading and permissions -------------------------------------------------------------------

def test_read_receipts_and_unread_first(world, client_for):
    first = sent_alert(world, title="Première alerte")
    second = sent_alert(world, title="Deuxième alerte")
    reporter = world.reporters[0]
    client = client_for(reporter)
    page = html(client.get(reverse("sharing:list")))
    assert [a.text for a in page.select(".alert-list li.unread a")] == [
        "Deuxième alerte", "Première alerte"]
    response = client.get(reverse("sharing:detail", args=[first.pk]))
    assert response.status_code == 200
    read = AlertRead.objects.get(alert=first, user=reporter)
    client.get(reverse("sharing:detail", args=[first.pk]))
    assert AlertRead.objects.get(alert=first, user=reporter).read_at == read.read_at
    page = html(client.get(reverse("sharing:list")))
    items = page.select(".alert-list li")
    assert [li.a.text for li in items] == ["Deuxième alerte", "Première alerte"]
    assert "read" in items[1]["class"] and "unread" in items[0]["class"]
    # the CERT sees who read, per establishment and user
    staff = html(client_for(world.analyst).get(reverse("sharing:detail", args=[first.pk])))
    rows = {tr.td.text.split(" ")[0]: tr for tr in staff.select("table.receipts tbody tr")}
    assert len(staff.select("table.receipts tbody tr")) == 5
    reader_row = next(tr for tr in staff.select("table.receipts tbody tr")
                      if world.victims[0].name in tr.text)
    assert reporter.email in reader_row.text
    assert rows and second.pk


def test_permissions(world, client_for, observer):
    alert = sent_alert(world, targets=Targets(region=frozenset({"IDF"})))
    draft_alert = services.save_draft(actor=world.analyst, draft=draft(world, title="Brouillon"))
    outsider = world.reporters[1]  # ARA: not a recipient
    detail = reverse("sharing:detail", args=[alert.pk])
    assert client_for(world.reporters[0]).get(detail).status_code == 200
    assert client_for(outsider).get(detail).status_code == 404
    assert not AlertRead.objects.filter(user=outsider).exists()
    assert "Vague" not in client_for(outsider).get(reverse("sharing:list")).content.decode()
    assert client_for(world.reporters[0]).get(
        reverse("sharing:detail", args=[draft_alert.pk])).status_code == 404
    for url in (reverse("sharing:list"), detail):
        assert client_for(observer).get(url).status_code == 404
    for url in (reverse("sharing:new"), reverse("sharing:edit", args=[draft_alert.pk]),
                reverse("sharing:preview", args=[draft_alert.pk])):
        assert client_for(world.reporters[0]).get(url).status_code == 404
    assert client_for(world.reporters[0]).post(
        reverse("sharing:send", args=[draft_alert.pk])).status_code == 404
    assert Alert.objects.get(pk=draft_alert.pk).sent_at is None
    from django.test import Client
    response = Client().get(detail)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    with pytest.raises(Http404):
        services.send(actor=world.reporters[0], alert=draft_alert)
    with pytest.raises(ValidationError):
        services.mark_read(actor=world.analyst, alert=alert)


def test_list_pages_have_a_fixed_number_of_queries(world, client_for,
                                                   django_assert_max_num_queries):
    for i in range(3):
        sent_alert(world, title=f"Alerte {i}")
    staff, reporter = client_for(world.analyst), client_for(world.reporters[0])
    with django_assert_max_num_queries(12) as few:
        staff.get(reverse("sharing:list"))
    with django_assert_max_num_queries(12):
        reporter.get(reverse("sharing:list"))
    for i in range(3, 15):
        sent_alert(world, title=f"Alerte {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get(reverse("sharing:list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert len(html(reporter.get(reverse("sharing:list"))).select(".alert-list li")) == 15


# -- The analyst's pages and bad input ---------------------------------------------------------

def form_data(world, **overrides):
    data = {"title": "Vague de fausses factures", "situation": "Des courriels circulent.",
            "actions": "Bloquez les indicateurs.", "tlp": "green",
            "indicators": "192.0.2.45\nfacture-sante.example", "target_all": "on",
            "campaign": str(world.campaign.pk)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_write_preview_and_send_through_the_pages(world, client_for):
    client = client_for(world.analyst)
    page = html(client.get(reverse("sharing:new") + f"?campaign={world.campaign.pk}"))
    prefilled = page.select_one("textarea[name=indicators]").text
    assert "192.0.2.45" in prefilled and "compta@facture-sante.example" in prefilled
    assert page.select_one("input[name=tlp][value=amber]").has_attr("checked")  # the default
    response = client.post(reverse("sharing:new"), form_data(world))
    alert = Alert.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("sharing:preview", args=[alert.pk]))
    page = html(client.get(response["Location"]))
    assert "5 establishments would receive it" in page.select_one("#recipients h2").text
    assert world.bystander.name in page.select_one("#recipients").text
    assert page.select_one(f"form[action='{reverse('sharing:send', args=[alert.pk])}']")
    response = client.post(reverse("sharing:send", args=[alert.pk]))
    assert response.status_code == 302
    assert AlertRecipient.objects.filter(alert=alert).count() == 5
    response = client.post(reverse("sharing:send", args=[alert.pk]), follow=True)
    assert "nothing was sent again" in response.content.decode()
    assert AlertRecipient.objects.filter(alert=alert).count() == 5
    response = client.get(reverse("sharing:edit", args=[alert.pk]))
    assert response.status_code == 302


def test_preview_shows_the_guard_and_send_refuses(world, client_for):
    client = client_for(world.analyst)
    client.post(reverse("sharing:new"), form_data(
        world, situation="Comme à la Clinique Sainte-Odile de Montfleury (synthetic)."))
    alert = Alert.objects.get()
    page = html(client.get(reverse("sharing:preview", args=[alert.pk])))
    assert "never says who reported" in page.select_one(".error-summary").text
    assert not page.select(f"form[action='{reverse('sharing:send', args=[alert.pk])}']")
    response = client.post(reverse("sharing:send", args=[alert.pk]))
    assert response.status_code == 400
    assert "never says who reported" in html(response).select_one(".error-summary").text
    assert not AlertRecipient.objects.exists()


@pytest.mark.parametrize("overrides,field,message", [
    ({"title": ""}, "title", "This field is required"),
    ({"title": "x" * 201}, "title", "at most 200 characters"),
    ({"situation": "   "}, "situation", "This field is required"),
    ({"title": "a\x00b"}, "title", "Null characters are not allowed"),
    ({"tlp": "purple"}, "tlp", "Select a valid choice"),
    ({"indicators": "203.0.113.250"}, "indicators", "not a known indicator"),
    ({"indicators": "x\n" * 600}, "indicators", "At most 500 indicators"),
    ({"target_all": None}, "target_all", "Choose who receives the alert"),
    ({"target_regions": "IDF"}, "target_all", "not both"),
    ({"target_all": None, "target_regions": "XXX"}, "target_regions", "Select a valid choice"),
    ({"target_all": None, "target_suppliers": "abc"}, "target_suppliers", "valid value"),
    ({"target_all": None, "target_suppliers": "999999"}, "target_suppliers",
     "Select a valid choice"),
    ({"campaign": "999999"}, "campaign", "Select a valid choice"),
])
def test_bad_input_on_the_alert_form(world, client_for, overrides, field, message):
    client = client_for(world.analyst)
    response = client.post(reverse("sharing:new"), form_data(world, **overrides))
    assert response.status_code == 400
    page = html(response)
    assert message.lower() in page.select_one(".error-summary").text.lower()
    assert not Alert.objects.exists()


def test_new_with_a_bad_campaign_is_404(world, client_for):
    client = client_for(world.analyst)
    for raw in ("abc", "99999999", "9" * 40):
        assert client.get(reverse("sharing:new") + f"?campaign={raw}").status_code == 404


def test_staff_list_and_observer_nav(world, client_for, observer):
    sent_alert(world)
    services.save_draft(actor=world.analyst, draft=draft(world, title="Brouillon"))
    page = html(client_for(world.analyst).get(reverse("sharing:list")))
    rows = page.select("table tbody tr")
    assert "Brouillon" in rows[0].text and "Draft" in rows[0].text
    assert "5" in rows[1].select("td")[3].text
    assert not html(client_for(observer).get(reverse("observatory:index"))).select(
        f"a[href='{reverse('sharing:list')}']")
    reporter_nav = html(client_for(world.reporters[0]).get(reverse("reports:my_reports")))
    assert reporter_nav.select(f"nav a[href='{reverse('sharing:list')}']")


def test_analyst_reporter_of_nobody(world, client_for):
    lonely = make_user("lonely@example.org", Role.REPORTER)
    sent_alert(world)
    assert html(client_for(lonely).get(reverse("sharing:list"))).select(".alert-list li") == []


def test_campaign_page_offers_an_alert_and_the_alert_links_back(world, client_for):
    client = client_for(world.analyst)
    page = html(client.get(reverse("indicators:campaign", args=[world.campaign.pk])))
    href = f"{reverse('sharing:new')}?campaign={world.campaign.pk}"
    assert page.select_one(f"a[href='{href}']")
    alert = sent_alert(world)
    staff = html(client.get(reverse("sharing:detail", args=[alert.pk])))
    assert staff.select_one(f"a[href='{reverse('indicators:campaign', args=[world.campaign.pk])}']")
    # never on the recipients' page
    mine = html(client_for(world.reporters[0]).get(reverse("sharing:detail", args=[alert.pk])))
    assert not mine.select("a[href*='/campaigns/']")
