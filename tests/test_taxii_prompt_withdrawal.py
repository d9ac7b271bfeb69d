"""An indicator withdrawn (rejected by an analyst, or found noisy by the correlation) leaves
TAXII as soon as the worker runs its queue, not at the next periodic publication (every 5
minutes): the change queues the publication once it commits, one publication for many changes
in a row. The tests run the worker's queue as `vigisante worker` does, never the periodic
job, and read the collection over TAXII."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from indicator_helpers import make_indicator
from indicators_helpers import new_report, sight
from taxii_helpers import basic, collection, machine

from vigisante.indicators import services as indicator_services
from vigisante.indicators.models import Indicator, Sighting
from vigisante.sharing.models import Withdrawal
from vigisante.taxii import publication
from vigisante.taxii.defaults import ensure_collections
from vigisante.taxii.tasks import publish_task

# the real worker closes its connection
pytestmark = pytest.mark.django_db(transaction=True)
VALUE = "relais-facture.example.net"


@pytest.fixture
def reader():
    """A firewall's machine account, reading the collection for everyone."""
    ensure_collections()
    return machine("pare-feu@partenaire.example.org")


def _served(reader, value: str) -> dict:
    """The latest version of the indicator of `value` that TAXII serves in `everyone`."""
    response = Client().get(f"/taxii2/api/collections/{collection('everyone').pk}/objects/",
                            {"match[type]": "indicator"}, **basic(reader))
    assert response.status_code == 200, response.content
    found = [o for o in response.json().get("objects", []) if f"'{value}'" in o["pattern"]]
    assert len(found) == 1, found
    return found[0]


def _queued() -> int:
    return DBTaskResult.objects.filter(status="READY", task_path=publish_task.module_path).count()


def test_a_rejection_is_revoked_over_taxii_by_the_next_worker_run(analyst, reader, run_tasks):
    ind = make_indicator("domain", VALUE, tlp="clear")
    publication.publish()
    assert not _served(reader, VALUE).get("revoked")
    indicator_services.review(actor=analyst, indicator=ind.pk, status="rejected")
    assert _queued() == 1
    run_tasks()
    served = _served(reader, VALUE)
    assert served["revoked"] is True
    assert Withdrawal.objects.filter(stix_id=served["id"]).exists()  # the MISP feed follows


def test_ten_rejections_in_a_row_queue_one_publication(analyst, reader, run_tasks):
    values = [f"leurre-{n}.example.net" for n in range(10)]
    inds = [make_indicator("domain", v, tlp="clear") for v in values]
    publication.publish()
    for ind in inds:
        indicator_services.review(actor=analyst, indicator=ind.pk, status="rejected")
    assert _queued() == 1
    run_tasks()
    assert _queued() == 0
    assert all(_served(reader, v)["revoked"] is True for v in values)


def test_an_indicator_found_noisy_is_revoked_by_the_next_worker_run(settings, reader, run_tasks):
    """The worker correlates a new report and finds the value in too many reports; the same
    drain of the queue then publishes its revocation. A rebuild that finds it no longer noisy
    shares it again the same way."""
    settings.CORRELATION_NOISE_REPORTS = 2
    first, second = new_report(), new_report()
    for report in (first, second):
        sight(report, ("domain", VALUE), status="confirmed")
    Indicator.objects.filter(value=VALUE).update(tlp="clear")
    run_tasks()  # the two reports' own ingestion: seen twice, not noisy
    assert not Indicator.objects.get(value=VALUE).noisy
    publication.publish()
    assert not _served(reader, VALUE).get("revoked")

    third = new_report()  # queues its ingestion
    sight(third, ("domain", VALUE))
    run_tasks()
    assert Indicator.objects.get(value=VALUE).noisy
    assert _served(reader, VALUE)["revoked"] is True

    Sighting.objects.filter(report=third).delete()
    indicator_services.rebuild()
    assert not Indicator.objects.get(value=VALUE).noisy
    assert _queued() == 1
    run_tasks()
    assert not _served(reader, VALUE).get("revoked")
