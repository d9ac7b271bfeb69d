"""Services of the staged report, on the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.reports import domain, services
from vigisante.reports.models import Report, Stage

pytestmark = pytest.mark.django_db


def test_early_warning_gets_sequential_reference_and_audit(reporter_a, early_warning_data):
    first = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    second = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    year = timezone.localtime().year
    assert first.reference == f"VS-{year}-00001"
    assert second.reference == f"VS-{year}-00002"
    result = audit.verify()
    assert result.ok and result.checked == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(action="report.create").count() == 2


def test_future_discovery_is_refused_and_nothing_written(reporter_a, early_warning_data):
    early_warning_data["discovered_at"] = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.create_early_warning(actor=reporter_a, data=early_warning_data)
    assert "discovered_at" in exc.value.message_dict
    assert Report.objects.count() == 0


def test_reporter_cannot_report_for_another_establishment(reporter_b, early_warning_data):
    with pytest.raises(ValidationError) as exc:
        services.create_early_warning(actor=reporter_b, data=early_warning_data)
    assert "establishment" in exc.value.message_dict


def test_megabyte_text_refused(reporter_a, early_warning_data):
    early_warning_data["description"] = "x" * 1_000_000
    with pytest.raises(ValidationError) as exc:
        services.create_early_warning(actor=reporter_a, data=early_warning_data)
    assert "description" in exc.value.message_dict


def test_stages_complete_in_order(reporter_a, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    report = services.save_notification(actor=reporter_a, report_id=report.pk,
                                        data={"perimeter": "Urgences"})
    assert report.stage == Stage.EARLY_WARNING
    with pytest.raises(ValidationError):
        services.save_final(actor=reporter_a, report_id=report.pk,
                            data={"root_cause": "VPN", "resolved_at": timezone.now()},
                            complete=True)
    report = services.save_notification(
        actor=reporter_a, report_id=report.pk, complete=True,
        data={"operations_impact": "degraded", "degraded_since": timezone.now()})
    assert report.stage == Stage.NOTIFICATION and report.notification_at is not None
    report = services.save_final(actor=reporter_a, report_id=report.pk, complete=True,
                                 data={"root_cause": "VPN", "resolved_at": timezone.now()})
    assert report.stage == Stage.FINAL and report.ongoing is False


def test_stale_version_is_a_conflict(reporter_a, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    services.save_notification(actor=reporter_a, report_id=report.pk, data={"perimeter": "A"},
                               expected_version=report.version)
    with pytest.raises(ValidationError) as exc:
        services.save_notification(actor=reporter_a, report_id=report.pk,
                                   data={"perimeter": "B"}, expected_version=report.version)
    assert "version" in exc.value.message_dict
    assert Report.objects.get(pk=report.pk).perimeter == "A"


def test_other_establishment_gets_404(reporter_a, reporter_b, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    with pytest.raises(Http404):
        services.save_notification(actor=reporter_b, report_id=report.pk, data={})
    assert not Report.objects.restrict(reporter_b, "view").exists()


def test_next_reference_counts_per_year_with_or_without_update_returning(monkeypatch):
    from vigisante.reports.models import ReferenceCounter

    got = [services.next_reference(2031) for _ in range(3)]  # first of the year: row created
    monkeypatch.setattr(services, "_has_update_returning", lambda: False)  # the fallback
    got.append(services.next_reference(2031))
    monkeypatch.undo()
    got.append(services.next_reference(2031))
    assert got == [domain.format_reference(2031, n) for n in range(1, 6)]
    assert ReferenceCounter.objects.get(year=2031).value == 5
