"""Rebuilding every link: `vigisante correlate --rebuild` here and now, the page that has the
worker do it (with its progress and history), both audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from indicators_helpers import new_report, qualify, sight

from vigisante.core.models import AuditEvent
from vigisante.indicators import campaigns, correlation, services
from vigisante.indicators.models import (
    Campaign,
    CorrelationKey,
    CorrelationRebuild,
    Link,
    RebuildState,
)


def _world():
    """Two reports sharing a confirmed indicator, two of the same kind on the same system,
    one of them naming the same supplier as a third."""
    r1, r2 = new_report(), new_report()
    sight(r1, ("domain", "wave.example"), status="confirmed")
    sight(r2, ("domain", "wave.example"), status="confirmed")
    r3, r4 = new_report(days_ago=2), new_report(days_ago=3, supplier_name="Medisoft (fictif)")
    r5 = new_report(days_ago=1, supplier_name="  MEDISOFT (fictif) ")
    qualify(r3, "ransomware", ["imaging", "email"])
    qualify(r4, "ransomware", ["imaging"])
    now = timezone.now()
    campaigns.attach_new_links(
        correlation.correlate_reports([r.pk for r in (r1, r2, r3, r4, r5)], now), now)
    return r1, r2, r3, r4, r5


def _links():
    return set(Link.objects.values_list("report_a_id", "report_b_id", "reason", "indicator_id",
                                        "supplier_id", "detail"))


@pytest.mark.django_db
def test_the_command_recomputes_the_same_links_and_is_audited(capsys):
    r1, r2, r3, r4, r5 = _world()
    incremental = _links()
    assert {(a, b, reason) for a, b, reason, *_ in incremental} == {
        (r1.pk, r2.pk, "indicator"), (r3.pk, r4.pk, "kind_system"), (r4.pk, r5.pk, "supplier")}
    Link.objects.all().delete()
    CorrelationKey.objects.all().delete()
    call_command("correlate", "--rebuild")
    assert _links() == incremental  # the rebuild and the incremental path agree
    run = CorrelationRebuild.objects.get()
    assert run.state == RebuildState.DONE and run.links == 3 and run.step == len(
        services.REBUILD_STEPS)
    event = AuditEvent.objects.get(action="correlation.rebuild")
    assert event.object_id == str(run.pk) and event.after["links"] == 3
    out, err = capsys.readouterr()
    assert "3 links" in out and "[1/" in err and "campaigns" in err
    # a second rebuild writes the same links again (indexes rebuilt, nothing doubled)
    call_command("correlate", "--rebuild", "--json")
    assert _links() == incremental and CorrelationRebuild.objects.count() == 2


@pytest.mark.django_db
def test_the_rebuild_keeps_reviewed_campaigns_and_proposes_the_rest(analyst):
    r1, r2, r3, r4, r5 = _world()
    camp = Campaign.objects.get(memberships__report=r1)
    campaigns.update_campaign(actor=analyst, campaign_id=camp.pk, name="Vague (fictif)",
                              status="confirmed")
    services.run_rebuild(actor=analyst)
    camp.refresh_from_db()
    assert camp.status == "confirmed" and set(
        camp.memberships.values_list("report_id", flat=True)) == {r1.pk, r2.pk}
    # r3-r4 (kind on a system) and r4-r5 (supplier) are one connected proposal
    (proposal,) = Campaign.objects.filter(status="proposed")
    assert set(proposal.memberships.values_list("report_id", flat=True)) == {r3.pk, r4.pk, r5.pk}


@pytest.mark.django_db
def test_the_command_says_what_is_wrong():
    with pytest.raises(CommandError, match="--rebuild"):
        call_command("correlate")
    with pytest.raises(CommandError, match="CERT staff"):
        call_command("correlate", "--rebuild", "--as", "nobody@example.org")
    assert not CorrelationRebuild.objects.exists()


@pytest.mark.django_db
def test_a_failed_rebuild_changes_nothing_and_is_recorded(monkeypatch):
    _world()
    before = _links()

    def broken(now):
        raise RuntimeError("disk full")

    monkeypatch.setattr(campaigns, "rebuild_campaigns", broken)
    with pytest.raises(CommandError, match="disk full"):
        call_command("correlate", "--rebuild")
    assert _links() == before
    run = CorrelationRebuild.objects.get()
    assert run.state == RebuildState.FAILED and "disk full" in run.error


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks
def test_the_page_queues_one_rebuild_for_the_worker_and_shows_it(client_for, analyst,
                                                                  run_tasks):
    r1, r2, *_ = _world()
    Link.objects.all().delete()
    client = client_for(analyst)
    page = client.get(reverse("indicators:correlation"))
    assert page.status_code == 200 and "0 links" in page.content.decode()
    response = client.post(reverse("indicators:correlation_rebuild"))
    assert response.status_code == 302
    run = CorrelationRebuild.objects.get()
    assert run.state == RebuildState.QUEUED and run.requested_by == analyst
    assert AuditEvent.objects.filter(action="correlation.rebuild_requested",
                                     actor=analyst).count() == 1
    # while it is queued: the progress, no second run
    text = client.get(reverse("indicators:correlation")).content.decode()
    assert "<progress" in text and f"#{run.pk}" in text
    client.post(reverse("indicators:correlation_rebuild"))
    assert CorrelationRebuild.objects.count() == 1
    run_tasks()
    run.refresh_from_db()
    assert run.state == RebuildState.DONE and run.links == 3 and Link.objects.count() == 3
    assert AuditEvent.objects.filter(action="correlation.rebuild", actor=analyst).exists()
    text = client.get(reverse("indicators:correlation")).content.decode()
    assert "<progress" not in text and "3 links" in text


@pytest.mark.django_db
def test_only_staff_see_or_run_it(client_for, reporter_a, observer):
    for user in (reporter_a, observer):
        client = client_for(user)
        assert client.get(reverse("indicators:correlation")).status_code == 404
        assert client.post(reverse("indicators:correlation_rebuild")).status_code == 404
    assert not CorrelationRebuild.objects.exists()
