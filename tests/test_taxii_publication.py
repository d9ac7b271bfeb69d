"""Publication into the collections (by audience and TLP), through the worker task, and the
anonymity of everything served over TAXII and the feeds."""

from __future__ import annotations

import json

import pytest
from conftest import make_establishment, make_user
from django.test import Client
from django.utils import timezone
from indicator_helpers import make_campaign, make_indicator
from stix2validator import ValidationOptions, validate_instance
from taxii_helpers import basic, collection, machine, token

from vigisante.indicators.models import Indicator
from vigisante.reports import services as report_services
from vigisante.sharing.models import Alert, AlertRecipient
from vigisante.taxii import publication
from vigisante.taxii.defaults import ensure_collections
from vigisante.taxii.models import StixObject

pytestmark = pytest.mark.django_db

SECRET_NAME = "Hôpital Zorglub-Secret (synthetic)"
SECRET_TOWN = "Villezorglub"
SECRET_FINESS = "440012345"
SECRET_EMAIL = "rssi@zorglub-secret.example.org"
SECRET_PHONE = "+33 4 99 88 77 66"


def _alert(title, tlp, *, indicators=(), sent=True, **targets) -> Alert:
    now = timezone.now()
    alert = Alert.objects.create(title=title, situation=f"{title}: what happens",
                                 actions="Block the listed indicators.", tlp=tlp,
                                 created_at=now, updated_at=now,
                                 sent_at=now if sent else None, **targets)
    alert.indicators.set(indicators)
    return alert


@pytest.fixture
def world(early_warning_data):
    ensure_collections()
    est = make_establishment(SECRET_FINESS, SECRET_NAME, town=SECRET_TOWN)
    reporter = make_user(SECRET_EMAIL, establishments=[est])
    reporter.phone = SECRET_PHONE
    reporter.save()
    report = report_services.create_early_warning(actor=reporter, data={
        **early_warning_data, "establishment": est,
        "description": f"Ransomware at {SECRET_NAME}, {SECRET_TOWN}"})
    report2 = report_services.create_early_warning(actor=reporter, data={
        **early_warning_data, "establishment": est})
    inds = {
        "clear": make_indicator("domain", "clear.example", tlp="clear"),
        "green": make_indicator("ipv4", "192.0.2.7", tlp="green"),
        "amber": make_indicator("domain", "amber.example", tlp="amber"),
        "strict": make_indicator("domain", "strict.example", tlp="amber+strict"),
        "red": make_indicator("domain", "red.example", tlp="red"),
        "pending": make_indicator("domain", "pending.example", status="pending"),
        "noisy": make_indicator("domain", "noisy.example", noisy=True),
    }
    campaign = make_campaign([report, report2], [inds["amber"], inds["green"]],
                             name=f"Wave against {SECRET_NAME}")
    alerts = {
        "everyone_amber": _alert("Alert to everyone", "amber", indicators=[inds["amber"]],
                                 target_all=True),
        "ch_amber": _alert("Alert to public hospitals", "amber+strict",
                           indicators=[inds["strict"]], target_categories=["ch"]),
        "regions": _alert("Alert to a region", "amber", target_regions=["IDF"]),
        "green": _alert("Green alert", "green", indicators=[inds["green"]],
                        target_categories=["ehpad"]),
        "red": _alert("Red alert", "red", indicators=[inds["red"]], target_all=True),
        "draft": _alert("Draft alert", "green", sent=False, target_all=True),
    }
    # The regional alert was delivered to the reporting establishment (in IDF): its own
    # collection carries it, and the anonymity test reads that collection too.
    AlertRecipient.objects.create(alert=alerts["regions"], establishment=est,
                                  delivered_at=timezone.now())
    return {"inds": inds, "alerts": alerts, "campaign": campaign, "report": report,
            "est": est}


def stored(alias: str) -> list[dict]:
    return [json.loads(p) for p in StixObject.objects.filter(
        collection=collection(alias), latest=True).values_list("payload", flat=True)]


def names(objects: list[dict]) -> set[str]:
    """Names of reports (alerts), and the indicator values in patterns."""
    out = {o.get("name", "") for o in objects if o["type"] == "report"}
    for o in objects:
        if o["type"] == "indicator":
            out.add(o["pattern"].split("'")[1])
    return out


@pytest.mark.django_db(transaction=True)  # the real worker closes its connection
def test_objects_go_to_the_collections_of_their_audience_and_tlp(world, run_tasks):
    from vigisante.taxii.tasks import schedule_publication

    schedule_publication()
    run_tasks()
    everyone = stored("everyone")
    assert {"clear.example", "192.0.2.7", "Green alert"} <= names(
        everyone)
    assert {o["type"] for o in everyone} >= {"identity", "marking-definition", "indicator",
                                             "report"}
    partners = names(stored("partners"))
    assert {"amber.example", "Alert to everyone", "Alert to a region"} <= partners
    assert "strict.example" not in partners  # AMBER+STRICT stays in its organisation
    assert "campaign" in {o["type"] for o in stored("partners")}
    assert "Alert to everyone" in names(stored("establishments"))
    assert "Alert to public hospitals" in names(stored("category-ch"))
    assert stored("category-ehpad") == []
    assert "Alert to a region" not in names(stored("establishments"))
    own = f"establishment-{world['est'].pk}"
    assert names(stored(own)) == {"Alert to a region"}  # its AMBER indicators: none
    every_text = json.dumps([stored(c.alias) for c in type(collection("everyone"))
                             .objects.all()])
    for absent in ("red.example", "pending.example", "noisy.example", "Red alert",
                   "Draft alert"):
        assert absent not in every_text
    for alias in ("everyone", "partners"):
        for obj in stored(alias):
            tlp = publication.tlp_of(obj)
            assert tlp is None or tlp in collection(alias).tlps, (alias, obj["id"], tlp)


def test_publishing_again_adds_nothing_and_a_change_is_a_new_version(world):
    first = publication.publish()
    assert first["everyone"] > 0
    assert all(n == 0 for n in publication.publish().values())
    green = world["inds"]["green"]
    Indicator.objects.filter(pk=green.pk).update(
        reviewed_at=timezone.now() + timezone.timedelta(hours=1))
    again = publication.publish()
    assert again["everyone"] >= 1
    rows = StixObject.objects.filter(collection=collection("everyone"),
                                     payload__contains="192.0.2.7", type="indicator")
    assert rows.count() == 2 and rows.filter(latest=True).count() == 1


def test_what_is_published_passes_the_stix_validator(world):
    publication.publish()
    options = ValidationOptions(version="2.1", strict=False)
    for alias in ("everyone", "partners", "establishments", "category-ch"):
        for obj in stored(alias):
            result = validate_instance(obj, options)
            assert result.is_valid, (alias, obj["id"], [str(e) for e in result.errors])


def test_taxii_and_feeds_never_carry_the_reporter(world, analyst, est_a):
    """Anonymity over every TAXII answer and every feed, as staff (who may read them all)
    and as machine accounts."""
    publication.publish()
    needles = [SECRET_NAME, SECRET_TOWN, SECRET_FINESS, SECRET_EMAIL, SECRET_PHONE,
               world["report"].reference, "Zorglub"]
    readers = [token(analyst), basic(machine("partner.anon@example.org")),
               basic(machine("sensor.anon@example.org", [world["est"]]))]
    bodies = []
    for headers in readers:
        client = Client()
        listing = client.get("/taxii2/api/collections/", **headers).json()
        for c in listing.get("collections", []):
            base = f"/taxii2/api/collections/{c['id']}/"
            for path in (base, base + "objects/", base + "manifest/"):
                bodies.append(client.get(path, {"match[version]": "all"}
                                         if path != base else {}, **headers).content)
            objects = client.get(base + "objects/", **headers).json().get("objects", [])
            for obj in objects[:20]:
                bodies.append(client.get(f"{base}objects/{obj['id']}/versions/",
                                         **headers).content)
        for path in ("/feeds/indicators.csv", "/feeds/zeek.intel", "/feeds/text/domain.txt",
                     "/feeds/text/ipv4.txt", "/feeds/suricata/domain.lst"):
            response = client.get(path, **headers)
            bodies.append(b"".join(response.streaming_content))
    text = b"\n".join(bodies).decode()
    assert "amber.example" in text and "Alert to everyone" in text  # the test sees content
    assert f"establishment-{world['est'].pk}" in text  # and the establishment's collection
    for needle in needles:
        for form in (needle, json.dumps(needle)[1:-1]):
            assert form not in text, needle


@pytest.mark.django_db(transaction=True)  # the real worker closes its connection
def test_confirming_an_indicator_queues_the_publication(world, analyst, run_tasks):
    from vigisante.indicators import services

    pending = world["inds"]["pending"]
    services.review(actor=analyst, indicator=pending.pk, status="confirmed", tlp="clear")
    assert "pending.example" not in names(stored("everyone"))  # not yet: in the worker
    run_tasks()
    assert "pending.example" in names(stored("everyone"))


def test_a_stricter_tlp_moves_an_indicator_without_revoking_it(world, analyst):
    from vigisante.indicators import services

    publication.publish()
    services.review(actor=analyst, indicator=world["inds"]["green"].pk, status="confirmed",
                    tlp="amber")
    publication.publish()
    rows = StixObject.objects.filter(type="indicator", payload__contains="192.0.2.7")
    assert rows.exists() and not rows.filter(revoked=True).exists()
    assert "192.0.2.7" in names(stored("everyone"))  # its last version stays there
    partners = [o for o in stored("partners") if "192.0.2.7" in o.get("pattern", "")]
    assert len(partners) == 1 and publication.tlp_of(partners[0]) == "amber"
    assert partners[0]["modified"] > next(
        o for o in stored("everyone") if "192.0.2.7" in o.get("pattern", ""))["modified"]
    # Made TLP:RED, it is shared nowhere: revoked wherever it was.
    services.review(actor=analyst, indicator=world["inds"]["green"].pk, status="confirmed",
                    tlp="red")
    publication.publish()
    for alias in ("everyone", "partners"):
        latest = [o for o in stored(alias) if "192.0.2.7" in o.get("pattern", "")]
        assert len(latest) == 1 and latest[0]["revoked"] is True, alias
