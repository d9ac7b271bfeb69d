"""The API of holds on a report's transmissions (/api/v1/reports/<id>/transmission-holds/):
CERT staff hold back one authority or every authority with a reason and release them,
through the same services as the case page (audited the same way); bad input is a 400,
a refusal by the report's current holds a 409, anyone else a 404; nothing half-written."""

from __future__ import annotations

import pytest
from authorities_world import make_authority
from conftest import api_client_for, make_user

from vigisante.accounts.models import Role
from vigisante.authorities import services
from vigisante.authorities.models import State, Transmission, TransmissionHold
from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.reports import services as reports

pytestmark = pytest.mark.django_db

REASON = "Judicial investigation: the DGS is told after the prosecutor agrees"


@pytest.fixture
def arrived(reporter_a, early_warning_data):
    """A report of establishment A (Île-de-France), care affected: the ARS of its region,
    the HFDS and the DGS are told; nothing sent yet."""
    make_authority("ars.idf@example.org", "ars", "IDF")
    make_authority("dgs@example.org", "dgs")
    return reports.create_early_warning(actor=reporter_a, data=early_warning_data)


def url(report, *rest) -> str:
    return "/".join([f"/api/v1/reports/{report.pk}/transmission-holds", *map(str, rest), ""])


def states(report) -> dict[str, str]:
    return dict(Transmission.objects.filter(report=report).values_list("authority", "state"))


def audited(action: str) -> list[AuditEvent]:
    audit.flush()
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_hold_one_authority_list_and_release_it(arrived, analyst):
    api = api_client_for(analyst)
    listed = api.get(url(arrived))
    assert listed.status_code == 200
    assert listed.json()["holds"] == [] and listed.json()["all_held"] is False
    assert [c["to"] for c in listed.json()["choices"]] == ["", "ars:IDF", "hfds:", "dgs:"]
    assert listed.json()["choices"][0]["name"] == "every authority"

    created = api.post(url(arrived), {"to": "dgs:", "reason": REASON}, format="json")
    assert created.status_code == 201, created.content
    hold = created.json()
    dgs = Transmission.objects.get(report=arrived, authority="dgs")
    assert (hold["authority"], hold["region"], hold["reason"]) == ("dgs", "", REASON)
    assert hold["held_by"] == analyst.email and hold["active"] is True
    assert hold["transmissions"] == [dgs.pk] and hold["released_at"] is None
    assert states(arrived) == {"ars": State.PENDING, "hfds": State.PENDING,
                               "dgs": State.HELD}
    # the ARS and the HFDS are informed; the DGS is not
    services.deliver(report_id=arrived.pk)
    assert states(arrived) == {"ars": State.SENT, "hfds": State.SENT, "dgs": State.HELD}
    [held] = audited("transmission.held")
    assert held.actor_id == analyst.pk and held.after == {
        "hold": hold["id"], "authority": "dgs", "region": "", "reason": REASON,
        "transmissions": [dgs.pk]}
    # the list shows it, and the DGS is no longer offered
    listed = api.get(url(arrived)).json()
    assert [h["id"] for h in listed["holds"]] == [hold["id"]]
    assert [c["to"] for c in listed["choices"]] == ["", "ars:IDF", "hfds:"]

    released = api.post(url(arrived, hold["id"], "release"), {"note": "Prosecutor agreed"},
                        format="json")
    assert released.status_code == 200, released.content
    body = released.json()
    assert body["released"] == 1
    [ended] = body["holds"]
    assert ended["id"] == hold["id"] and ended["active"] is False
    assert ended["released_by"] == analyst.email and ended["release_note"] == "Prosecutor agreed"
    assert ended["transmissions"] == []
    services.deliver(report_id=arrived.pk)
    assert set(states(arrived).values()) == {State.SENT}
    [event] = audited("transmission.released")
    assert event.after["transmissions"] == [dgs.pk] and event.after["note"] == "Prosecutor agreed"


def test_hold_every_authority_then_release_all(arrived, analyst):
    api = api_client_for(analyst)
    one = api.post(url(arrived), {"to": "dgs:", "reason": "DGS later"}, format="json").json()
    every = api.post(url(arrived), {"reason": REASON}, format="json")
    assert every.status_code == 201
    assert every.json()["authority"] == "" and every.json()["region"] == ""
    assert set(states(arrived).values()) == {State.HELD}
    assert api.get(url(arrived)).json()["all_held"] is True
    assert api.get(url(arrived)).json()["choices"] == []
    # releasing the DGS alone sends nothing: the hold of every authority keeps it back
    alone = api.post(url(arrived, one["id"], "release"), {}, format="json").json()
    assert alone["released"] == 0
    assert Transmission.objects.get(report=arrived, authority="dgs").hold_id == every.json()["id"]
    done = api.post(url(arrived, "release"), {"note": ""}, format="json")
    assert done.status_code == 200
    assert done.json()["released"] == 3
    assert [h["id"] for h in done.json()["holds"]] == [every.json()["id"]]
    assert not TransmissionHold.objects.filter(released_at__isnull=True).exists()
    assert set(states(arrived).values()) == {State.PENDING}
    assert len(audited("transmission.released")) == 2


def test_conflicts_answer_409_and_write_nothing(arrived, analyst):
    api = api_client_for(analyst)
    # nothing held: nothing to release
    nothing = api.post(url(arrived, "release"), {}, format="json")
    assert nothing.status_code == 409
    assert nothing.json() == {"note": ["Nothing is held back on this report."]}
    first = api.post(url(arrived), {"to": "dgs:", "reason": REASON}, format="json").json()
    again = api.post(url(arrived), {"to": "dgs:", "reason": "again"}, format="json")
    assert again.status_code == 409
    assert again.json() == {"to": ["The transmissions to this authority are already held "
                                   "back."]}
    api.post(url(arrived), {"reason": REASON}, format="json")
    blocked = api.post(url(arrived), {"to": "hfds:", "reason": "x"}, format="json")
    assert blocked.status_code == 409 and list(blocked.json()) == ["reason"]
    assert TransmissionHold.objects.count() == 2
    assert api.post(url(arrived, first["id"], "release"), {}, format="json").status_code == 200
    twice = api.post(url(arrived, first["id"], "release"), {}, format="json")
    assert twice.status_code == 409
    assert twice.json() == {"hold": ["This hold is not active on this report."]}
    assert len(audited("transmission.held")) == 2
    assert len(audited("transmission.released")) == 1


@pytest.mark.parametrize("body, field", [
    ({"to": "dgs:"}, "reason"),
    ({"to": "dgs:", "reason": "   "}, "reason"),
    ({"to": "dgs:", "reason": "x" * 2001}, "reason"),
    ({"to": "dgs:", "reason": "nul \x00 byte"}, "reason"),
    ({"to": "ars:ARA", "reason": REASON}, "to"),      # another region's ARS
    ({"to": "defence:", "reason": REASON}, "to"),     # not an army hospital
    ({"to": "cnil:", "reason": REASON}, "to"),
    ({"to": ["dgs:"], "reason": REASON}, "to"),
    ({"to": "dgs:", "reason": {"why": "x"}}, "reason"),
])
def test_bad_input_is_a_400_naming_the_field(arrived, analyst, body, field):
    response = api_client_for(analyst).post(url(arrived), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and all(
        isinstance(m, str) and m for m in response.json()[field])
    assert not TransmissionHold.objects.exists()
    assert set(states(arrived).values()) == {State.PENDING}
    assert not audited("transmission.held")


def test_bad_bodies_and_release_notes(arrived, analyst):
    api = api_client_for(analyst)
    assert api.post(url(arrived), [1, 2], format="json").status_code == 400
    assert api.post(url(arrived), "[[[", content_type="application/json").status_code == 400
    hold = api.post(url(arrived), {"to": "dgs:", "reason": REASON}, format="json").json()
    long_note = api.post(url(arrived, hold["id"], "release"), {"note": "n" * 2001},
                         format="json")
    assert long_note.status_code == 400 and "note" in long_note.json()
    assert TransmissionHold.objects.get(pk=hold["id"]).active


def test_only_cert_staff_and_only_this_report(arrived, analyst, admin_user, reporter_a,
                                              reporter_b, observer, early_warning_data):
    dgs = make_user("dgs.other@example.org", Role.AUTHORITY)
    for user in (reporter_a, reporter_b, observer, dgs):
        api = api_client_for(user)
        assert api.get(url(arrived)).status_code == 404, user
        assert api.post(url(arrived), {"reason": "x"}, format="json").status_code == 404
        assert api.post(url(arrived, "release"), {}, format="json").status_code == 404
    assert not TransmissionHold.objects.exists()
    # an admin may, like an analyst
    hold = api_client_for(admin_user).post(url(arrived), {"to": "dgs:", "reason": REASON},
                                           format="json")
    assert hold.status_code == 201
    for user in (reporter_a, observer, dgs):
        assert api_client_for(user).post(url(arrived, hold.json()["id"], "release"), {},
                                         format="json").status_code == 404
    # a hold of another report, or none: 404, nothing released
    other = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    api = api_client_for(analyst)
    assert api.post(url(other, hold.json()["id"], "release"), {},
                    format="json").status_code == 404
    assert api.post(url(arrived, 999999, "release"), {}, format="json").status_code == 404
    assert api.get(f"/api/v1/reports/{999999}/transmission-holds/").status_code == 404
    assert TransmissionHold.objects.get(pk=hold.json()["id"]).active
    # the refusals are in the audit trail, as for the pages
    denied = audited("access.denied")
    assert {e.after["status"] for e in denied} == {404}
    assert {e.actor_id for e in denied} >= {reporter_a.pk, observer.pk, dgs.pk}


def test_reading_the_holds_is_audited_as_a_read_of_the_case(arrived, analyst):
    assert api_client_for(analyst).get(url(arrived)).status_code == 200
    [read] = audited("case.view")
    assert (read.actor_id, read.object_type, read.object_id) == (
        analyst.pk, "reports.report", str(arrived.pk))
    assert read.after["path"] == f"/api/v1/reports/{arrived.pk}/transmission-holds/"


def test_the_schema_documents_the_routes(analyst):
    schema = api_client_for(analyst).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    base = "/api/v1/reports/{report_id}/transmission-holds/"
    assert set(paths[base]) >= {"get", "post"}
    assert set(paths[base]["post"]["responses"]) == {"201", "400", "404", "409", "422"}
    assert "Idempotency-Key" in [p["name"] for p in paths[base]["post"]["parameters"]]
    assert "post" in paths[base + "release/"]
    assert "post" in paths[base + "{hold_id}/release/"]
    assert set(schema["components"]["schemas"]["HoldInRequest"]["required"]) == {"reason"}
