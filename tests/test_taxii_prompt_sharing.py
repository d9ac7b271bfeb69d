"""An indicator newly shared by an analyst (incoming intelligence accepted, a pending indicator
confirmed, an indicator added to a report) reaches TAXII as soon as the worker runs its
queue, not at the next periodic publication (every 5 minutes): the change queues the
publication once it commits, one publication for many changes in a row. The tests run the
worker's queue as `vigisante worker` does, never the periodic job, and read the collections
over TAXII (docs/taxii.md, "Publication")."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from indicator_helpers import make_indicator
from indicators_helpers import new_report
from taxii_helpers import basic, collection, machine

from vigisante.indicators import services as indicator_services
from vigisante.indicators.models import Indicator
from vigisante.sharing import intel as intel_module
from vigisante.sharing import services as sharing_services
from vigisante.taxii import publication
from vigisante.taxii.defaults import ensure_collections
from vigisante.taxii.tasks import publish_task

# the real worker closes its connection
pytestmark = pytest.mark.django_db(transaction=True)
VALUE = "relais-facture.example.net"
TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


@pytest.fixture
def reader():
    """A partner CERT's machine account: it reads the collection for everyone and the
    partners' one."""
    ensure_collections()
    return machine("pare-feu@partenaire.example.org")


def _latest(reader, value: str, alias: str = "everyone") -> dict | None:
    """The latest version of the indicator of `value` that TAXII serves in `alias`, or None."""
    response = Client().get(f"/taxii2/api/collections/{collection(alias).pk}/objects/",
                            {"match[type]": "indicator"}, **basic(reader))
    assert response.status_code == 200, response.content
    found = [o for o in response.json().get("objects", []) if f"'{value}'" in o["pattern"]]
    assert len(found) <= 1, found
    return found[0] if found else None


def _shared(reader, value: str, alias: str = "everyone") -> bool:
    served = _latest(reader, value, alias)
    return served is not None and not served.get("revoked")


def _queued() -> int:
    return DBTaskResult.objects.filter(status="READY", task_path=publish_task.module_path).count()


def _partner_sends(analyst, *values: str, marking: str = TLP_CLEAR):
    """A partner's STIX bundle with one indicator per value, stored for review."""
    objects = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
                "created": "2026-11-30T08:00:00.000Z", "modified": "2026-11-30T08:00:00.000Z",
                "pattern": f"[domain-name:value = '{v}']", "pattern_type": "stix",
                "valid_from": "2026-11-30T08:00:00Z", "object_marking_refs": [marking]}
               for v in values]
    return sharing_services.ingest_intel(
        source="partner: CERT régional", fmt="stix", actor=analyst,
        payload={"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})


def test_accepted_intelligence_is_shared_over_taxii_by_the_next_worker_run(analyst, reader,
                                                                           run_tasks):
    intel = _partner_sends(analyst, VALUE)
    publication.publish()  # what was shared before the acceptance
    assert _queued() == 0 and _latest(reader, VALUE) is None
    assert intel_module.accept(actor=analyst, intel=intel) == 1
    assert _queued() == 1 and _latest(reader, VALUE) is None  # the worker shares it
    run_tasks()
    assert _queued() == 0
    assert _shared(reader, VALUE)


def test_several_acceptances_in_a_row_queue_one_publication(analyst, reader, run_tasks):
    values = [f"leurre-{n}.example.net" for n in range(5)]
    pieces = [_partner_sends(analyst, v) for v in values]
    amber = _partner_sends(analyst, "partenaires-seulement.example.net", marking=TLP_AMBER)
    publication.publish()
    for piece in [*pieces, amber]:
        intel_module.accept(actor=analyst, intel=piece)
    assert _queued() == 1
    run_tasks()
    assert _queued() == 0
    assert all(_shared(reader, v) for v in values)
    # TLP:AMBER goes to the partners only
    assert _shared(reader, "partenaires-seulement.example.net", "partners")
    assert _latest(reader, "partenaires-seulement.example.net") is None


def test_accepting_a_rejected_indicator_again_shares_it_again(analyst, reader, run_tasks):
    """Rejected and revoked over TAXII; a partner sends it again and an analyst accepts it:
    the next worker run serves it again. Accepting what is already shared as it is (confirmed,
    same TLP) changes nothing and queues nothing."""
    ind = make_indicator("domain", VALUE, tlp="clear")
    publication.publish()
    indicator_services.review(actor=analyst, indicator=ind.pk, status="rejected")
    run_tasks()
    assert _latest(reader, VALUE)["revoked"] is True

    intel_module.accept(actor=analyst, intel=_partner_sends(analyst, VALUE))
    assert Indicator.objects.get(pk=ind.pk).status == "confirmed"
    assert _queued() == 1
    run_tasks()
    assert _shared(reader, VALUE)

    assert intel_module.accept(actor=analyst, intel=_partner_sends(analyst, VALUE)) == 1
    assert _queued() == 0


def test_confirming_a_pending_indicator_shares_it_by_the_next_worker_run(analyst, reader,
                                                                         run_tasks):
    ind = make_indicator("domain", VALUE, tlp="clear", status="pending")
    publication.publish()
    assert _latest(reader, VALUE) is None
    indicator_services.review(actor=analyst, indicator=ind.pk, status="confirmed")
    assert _queued() == 1
    run_tasks()
    assert _shared(reader, VALUE)


def test_an_indicator_added_by_an_analyst_is_shared_by_the_next_worker_run(analyst, reader,
                                                                           run_tasks):
    """Added to a report, it is confirmed at once (TLP:AMBER by default: the partners'
    collection). Adding it to a second report changes nothing shared and queues nothing."""
    first, second = new_report(), new_report()
    run_tasks()  # the reports' own ingestion
    publication.publish()
    indicator_services.add_indicator(actor=analyst, report=first, type_="domain", value=VALUE)
    assert _queued() == 1
    run_tasks()
    assert _shared(reader, VALUE, "partners")

    indicator_services.add_indicator(actor=analyst, report=second, type_="domain", value=VALUE)
    assert _queued() == 0
