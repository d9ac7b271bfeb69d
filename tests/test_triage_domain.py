"""Pure rules of triage: state machine, suggested severity, checks, taxonomy. No database."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from vigisante.core import taxonomy
from vigisante.core.taxonomy import Kind, Origin
from vigisante.triage import domain
from vigisante.triage.domain import Impacts, Severity, State

S = State


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages, whatever the default language."""
    with translation.override("en"):
        yield


ALL = list(State.values)

# The whole transition table, written out: (from, to) pairs an analyst may make.
ANALYST_MOVES = {
    (S.RECEIVED, S.ACKNOWLEDGED), (S.RECEIVED, S.REJECTED), (S.RECEIVED, S.DUPLICATE),
    (S.ACKNOWLEDGED, S.QUALIFIED), (S.ACKNOWLEDGED, S.REJECTED), (S.ACKNOWLEDGED, S.DUPLICATE),
    (S.QUALIFIED, S.IN_SUPPORT), (S.QUALIFIED, S.RESOLVED), (S.QUALIFIED, S.REJECTED),
    (S.QUALIFIED, S.DUPLICATE),
    (S.IN_SUPPORT, S.RESOLVED),
    (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.IN_SUPPORT),
}
ADMIN_ONLY = {(S.CLOSED, S.IN_SUPPORT), (S.REJECTED, S.ACKNOWLEDGED),
              (S.DUPLICATE, S.ACKNOWLEDGED)}


def _error(frm, to, *, admin=False, qualified=True, dup=True, comment="because"):
    return domain.transition_error(frm, to, is_admin=admin, is_qualified=qualified,
                                   has_duplicate_of=dup, comment=comment)


@pytest.mark.parametrize("frm", ALL)
@pytest.mark.parametrize("to", ALL)
def test_transition_table_for_analysts_and_admins(frm, to):
    assert (_error(frm, to) is None) == ((frm, to) in ANALYST_MOVES)
    assert (_error(frm, to, admin=True) is None) == ((frm, to) in ANALYST_MOVES | ADMIN_ONLY)


def test_final_states_have_no_way_out_for_analysts():
    for state in domain.FINAL_STATES:
        assert domain.allowed_targets(state, is_admin=False, is_qualified=True) == []
        assert domain.allowed_targets(state, is_admin=True, is_qualified=True) == [
            domain.ADMIN_REOPEN[state]]


def test_refusals_say_why_and_name_the_field():
    field, msg = _error(S.RECEIVED, S.CLOSED)
    assert field == "to_state" and "Received" in msg and "Acknowledged" in msg
    field, msg = _error(S.CLOSED, S.IN_SUPPORT)
    assert field == "to_state" and "administrator" in msg
    assert _error(S.RECEIVED, S.RECEIVED)[0] == "to_state"
    assert _error(S.RECEIVED, "nonsense")[0] == "to_state"
    assert _error(S.CLOSED, S.RESOLVED, admin=True)[1].endswith("In support”.")
    assert _error(S.RECEIVED, S.DUPLICATE, dup=False)[0] == "duplicate_of"
    assert _error(S.RECEIVED, S.REJECTED, comment="  ")[0] == "comment"
    assert _error(S.RESOLVED, S.IN_SUPPORT, comment="")[0] == "comment"
    assert _error(S.REJECTED, S.ACKNOWLEDGED, admin=True, comment="")[0] == "comment"
    assert _error(S.RESOLVED, S.CLOSED, comment="") is None
    assert _error(S.ACKNOWLEDGED, S.QUALIFIED, qualified=False)[0] == "to_state"
    assert S.QUALIFIED not in domain.allowed_targets(S.ACKNOWLEDGED, is_admin=False,
                                                     is_qualified=False)


def test_qualify_path_acknowledges_on_the_way_and_refuses_final_states():
    assert domain.qualify_path(S.RECEIVED) == [S.ACKNOWLEDGED, S.QUALIFIED]
    assert domain.qualify_path(S.ACKNOWLEDGED) == [S.QUALIFIED]
    for state in (S.QUALIFIED, S.IN_SUPPORT, S.RESOLVED):
        assert domain.qualify_path(state) == []
    for state in domain.FINAL_STATES:
        assert domain.qualify_path(state) is None


def test_every_state_is_reachable_and_every_open_case_can_be_closed():
    def reachable(start, admin):
        seen, todo = {start}, [start]
        while todo:
            for nxt in domain.allowed_targets(todo.pop(), is_admin=admin, is_qualified=True):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert reachable(S.RECEIVED, admin=False) == set(ALL)
    for state in set(ALL) - domain.FINAL_STATES:
        assert S.CLOSED in reachable(state, admin=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ALL), st.booleans()), max_size=30))
def test_random_walks_only_follow_the_table(steps):
    state = S.RECEIVED
    for target, admin in steps:
        err = _error(state, target, admin=admin)
        if err is None:
            assert (state, target) in ANALYST_MOVES | (ADMIN_ONLY if admin else set())
            state = target
        assert state in ALL


# --- severity --------------------------------------------------------------------------------

def sev(**kw) -> str:
    return domain.suggest_severity(Impacts(**kw)).severity


def test_nothing_known_is_minor():
    result = domain.suggest_severity(Impacts())
    assert result.severity == Severity.MINOR and result.reasons == ("no_impact",)
    assert sev(operations_impact="none", patient_danger="none", patient_care_affected="no") \
        == Severity.MINOR


@pytest.mark.parametrize("impacts, expected", [
    (dict(patient_danger="actual"), Severity.MAJOR),
    (dict(patient_danger="potential"), Severity.SIGNIFICANT),
    (dict(patient_care_affected="yes"), Severity.SIGNIFICANT),
    (dict(operations_impact="stopped"), Severity.MAJOR),
    (dict(operations_impact="degraded"), Severity.SIGNIFICANT),
    (dict(operations_impact="partial"), Severity.SIGNIFICANT),
    (dict(ransomware=True), Severity.SIGNIFICANT),
    (dict(ransomware=True, operations_impact="degraded"), Severity.MAJOR),
    (dict(ransomware=True, systems_hit=frozenset({"email", "directory", "vpn"})),
     Severity.MAJOR),
    (dict(ransomware=True, systems_hit=frozenset({"email", "directory"})), Severity.SIGNIFICANT),
    # data: confidentiality of health data scales with the records exposed
    (dict(data_confidentiality=True, health_data=True, records_affected=9_999),
     Severity.SIGNIFICANT),
    (dict(data_confidentiality=True, health_data=True, records_affected=10_000), Severity.MAJOR),
    (dict(data_confidentiality=True, health_data=True, records_affected=None),
     Severity.SIGNIFICANT),
    (dict(data_confidentiality=False, health_data=True, records_affected=1_000_000),
     Severity.MINOR),
    (dict(data_confidentiality=True, personal_data=True, records_affected=99_999),
     Severity.SIGNIFICANT),
    (dict(data_confidentiality=True, personal_data=True, records_affected=100_000),
     Severity.MAJOR),
    (dict(data_confidentiality=True), Severity.MINOR),
    # systems: telephony / emergency call centre is the critical one
    (dict(systems_hit=frozenset({"telephony"})), Severity.SIGNIFICANT),
    (dict(systems_hit=frozenset({"telephony"}), operations_impact="degraded"), Severity.MAJOR),
    (dict(systems_hit=frozenset({"telephony"}), operations_impact="partial"),
     Severity.SIGNIFICANT),
    (dict(systems_hit=frozenset({"dpi", "laboratory"}), operations_impact="degraded"),
     Severity.MAJOR),
    (dict(systems_hit=frozenset({"website"})), Severity.MINOR),
    (dict(systems_hit=frozenset({"website", "email", "administration"})), Severity.SIGNIFICANT),
    (dict(systems_hit=frozenset({"website", "email", "administration", "vpn", "network"})),
     Severity.MAJOR),
    # a supplier reaching several establishments
    (dict(establishments_reached=1), Severity.MINOR),
    (dict(establishments_reached=2), Severity.SIGNIFICANT),
    (dict(establishments_reached=4), Severity.SIGNIFICANT),
    (dict(establishments_reached=5), Severity.MAJOR),
    (dict(patient_danger="bogus", operations_impact="bogus"), Severity.MINOR),
])
def test_severity_edges(impacts, expected):
    assert sev(**impacts) == expected


def test_reasons_name_every_rule_that_fired():
    result = domain.suggest_severity(Impacts(patient_danger="actual", operations_impact="stopped"))
    assert result.reasons == ("patient_harm", "operations_stopped")
    assert all(result.reason_labels)
    assert set(domain.REASONS) >= {r for r in result.reasons}


DANGERS = ["", "none", "potential", "actual"]
OPS = ["", "none", "partial", "degraded", "stopped"]
SYSTEMS = ["dpi", "prescription", "laboratory", "imaging", "email", "directory", "vpn",
           "telephony", "network", "website", "administration", "biomedical"]
impacts_strategy = st.builds(
    Impacts,
    patient_care_affected=st.sampled_from(["yes", "no", "unknown"]),
    patient_danger=st.sampled_from(DANGERS), operations_impact=st.sampled_from(OPS),
    data_confidentiality=st.booleans(), personal_data=st.booleans(), health_data=st.booleans(),
    records_affected=st.one_of(st.none(), st.integers(0, 10**7)), ransomware=st.booleans(),
    systems_hit=st.frozensets(st.sampled_from(SYSTEMS)),
    establishments_reached=st.integers(1, 50),
)


def _worse(i: Impacts, data) -> Impacts:
    """The same incident with more impact on one dimension."""
    choice = data.draw(st.sampled_from(["danger", "ops", "bool", "records", "systems", "reach"]))
    if choice == "danger":
        rank = domain.DANGER_RANK[i.patient_danger]
        return Impacts(**{**i.__dict__, "patient_danger": data.draw(st.sampled_from(
            [d for d in DANGERS if domain.DANGER_RANK[d] >= rank]))})
    if choice == "ops":
        rank = domain.OPERATIONS_RANK[i.operations_impact]
        return Impacts(**{**i.__dict__, "operations_impact": data.draw(st.sampled_from(
            [o for o in OPS if domain.OPERATIONS_RANK[o] >= rank]))})
    if choice == "bool":
        name = data.draw(st.sampled_from(["data_confidentiality", "personal_data", "health_data",
                                          "ransomware"]))
        return Impacts(**{**i.__dict__, name: True})
    if choice == "records":
        return Impacts(**{**i.__dict__, "records_affected": (i.records_affected or 0)
                          + data.draw(st.integers(0, 10**6))})
    if choice == "systems":
        return Impacts(**{**i.__dict__, "systems_hit": i.systems_hit | data.draw(
            st.frozensets(st.sampled_from(SYSTEMS)))})
    return Impacts(**{**i.__dict__, "establishments_reached": i.establishments_reached
                      + data.draw(st.integers(0, 10))})


@settings(max_examples=400, deadline=None)
@given(impacts_strategy, st.data())
def test_more_impact_never_lowers_the_suggestion(impacts, data):
    before = domain.SEVERITY_RANK[domain.suggest_severity(impacts).severity]
    after = domain.SEVERITY_RANK[domain.suggest_severity(_worse(impacts, data)).severity]
    assert after >= before


@settings(max_examples=200, deadline=None)
@given(impacts_strategy)
def test_suggestion_is_always_a_severity_with_reasons(impacts):
    result = domain.suggest_severity(impacts)
    assert result.severity in Severity.values and result.reasons


def test_impacts_are_read_off_a_report_like_object():
    report = SimpleNamespace(
        patient_care_affected="yes", patient_danger="", operations_impact="degraded",
        data_confidentiality=True, personal_data=True, health_data=True, records_affected=12,
        ransom_demanded=False, systems_hit=["dpi", "telephony"])
    impacts = domain.impacts_of(report, kind="ransomware", establishments_reached=0)
    assert impacts.ransomware and impacts.establishments_reached == 1
    assert impacts.systems_hit == frozenset({"dpi", "telephony"})
    assert domain.suggest_severity(impacts).severity == Severity.MAJOR
    bare = domain.impacts_of(SimpleNamespace(), kind="")
    assert bare == Impacts()
    assert domain.impacts_of(SimpleNamespace(ransom_demanded=True)).ransomware


# --- qualification and support checks --------------------------------------------------------

def qerr(**kw):
    base = dict(origin=Origin.MALICIOUS, kind=Kind.RANSOMWARE, severity=Severity.MAJOR,
                suggested=Severity.MAJOR)
    base.update(kw)
    return domain.qualification_errors(**base)


def test_a_consistent_qualification_passes():
    assert qerr() == {}
    assert qerr(ransomware_extent="several_servers", detection_stage="after_impact",
                detection_source="ransom_note", attack_vector="phishing_email") == {}
    assert qerr(origin=Origin.UNDETERMINED, kind=Kind.SUPPLIER_FAILURE) == {}
    assert qerr(origin=Origin.NON_MALICIOUS, kind=Kind.OTHER) == {}


def test_qualification_errors_name_their_field():
    assert set(qerr(origin="", kind="")) == {"origin", "kind"}
    assert "origin" in qerr(origin=Origin.NON_MALICIOUS, kind=Kind.RANSOMWARE)
    assert "origin" in qerr(origin=Origin.MALICIOUS, kind=Kind.TELECOM_LOSS)
    assert "kind" in qerr(kind="bogus")
    assert "origin" in qerr(origin="bogus")
    assert "severity" in qerr(severity="huge")
    assert "ransomware_extent" in qerr(kind=Kind.PHISHING, ransomware_extent="one_server")
    assert "ransomware_extent" in qerr(ransomware_extent="everything")
    for name in ("attack_vector", "detection_source", "detection_stage"):
        assert name in qerr(**{name: "<script>"})
    assert "comment" in qerr(comment="x" * (domain.MAX_COMMENT + 1))
    assert "comment" in qerr(comment="a\x00b")


def test_overriding_the_suggestion_needs_a_reason():
    assert "comment" in qerr(severity=Severity.MINOR, suggested=Severity.MAJOR)
    assert qerr(severity=Severity.MINOR, suggested=Severity.MAJOR, comment="Contained") == {}


NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)


def test_support_checks():
    ok = dict(type="on_site", started_at=NOW - dt.timedelta(hours=3), ended_at=NOW,
              notes="", now=NOW)
    assert domain.support_errors(**ok) == {}
    assert set(domain.support_errors(**{**ok, "type": "", "started_at": None})) == {
        "type", "started_at"}
    assert "type" in domain.support_errors(**{**ok, "type": "magic"})
    assert "started_at" in domain.support_errors(**{**ok, "started_at": NOW + dt.timedelta(
        hours=1), "ended_at": None})
    assert "ended_at" in domain.support_errors(**{**ok, "ended_at": NOW - dt.timedelta(hours=4)})
    assert "ended_at" in domain.support_errors(**{**ok, "ended_at": NOW + dt.timedelta(days=1)})
    assert "notes" in domain.support_errors(**{**ok, "notes": "x" * 10_001})
    assert "started_at" in domain.support_errors(**{**ok, "started_at": dt.datetime(
        1999, 1, 1, tzinfo=dt.UTC)})


@pytest.mark.parametrize("utc, expected", [
    (dt.datetime(2025, 6, 2, 6, 0), False),    # Monday 08:00 Paris (CEST): office hours
    (dt.datetime(2025, 6, 2, 5, 59), True),    # Monday 07:59 Paris
    (dt.datetime(2025, 6, 6, 16, 59), False),  # Friday 18:59 Paris
    (dt.datetime(2025, 6, 6, 17, 0), True),    # Friday 19:00 Paris
    (dt.datetime(2025, 6, 7, 10, 0), True),    # Saturday
    (dt.datetime(2025, 1, 6, 7, 0), False),    # Monday 08:00 Paris (CET, UTC+1)
    (dt.datetime(2025, 1, 6, 6, 59), True),    # Monday 07:59 Paris (CET)
    (dt.datetime(2025, 3, 31, 6, 30), False),  # Monday after the spring change: 08:30 CEST
    (dt.datetime(2025, 3, 30, 10, 0), True),   # Sunday of the change
    (dt.datetime(2025, 10, 27, 6, 30), True),  # Monday after the autumn change: 07:30 CET
    (dt.datetime(2025, 10, 27, 7, 0), False),  # 08:00 CET
])
def test_out_of_hours_in_paris_time_across_dst(utc, expected):
    at = utc.replace(tzinfo=dt.UTC)
    assert domain.is_out_of_hours(at) is expected


def test_overdue_and_texts():
    assert domain.is_overdue("due", NOW - dt.timedelta(seconds=1), NOW)
    assert not domain.is_overdue("due", NOW, NOW)
    assert not domain.is_overdue("due", None, NOW)
    assert not domain.is_overdue("done_late", NOW - dt.timedelta(days=1), NOW)
    assert domain.text_error("ok") is None
    assert domain.text_error("x" * 11, 10)
    msg = domain.conflict_message("Alice", "01/06/2025 10:00")
    assert "Alice" in msg and "01/06/2025 10:00" in msg and "reload" in msg.lower()


# --- taxonomy --------------------------------------------------------------------------------

def test_shipped_rsit_file_is_version_1003_with_11_classes_and_its_types():
    raw = json.loads(taxonomy.RSIT_PATH.read_text(encoding="utf-8"))
    rsit = taxonomy.rsit()
    assert rsit.version == taxonomy.RSIT_VERSION == 1003
    assert len(rsit.classes) == 11 == len(raw["predicates"])
    expected = {v["predicate"]: [e["value"] for e in v["entry"]] for v in raw["values"]}
    assert rsit.classes == expected
    assert sum(len(types) for types in rsit.classes.values()) == 39
    assert (taxonomy.RSIT_PATH.parent / "misp-taxonomies-LICENSE.md").exists()


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_maps_to_a_valid_rsit_class_and_type(kind):
    rsit_class, rsit_type = taxonomy.rsit_of(kind)
    assert taxonomy.rsit().is_valid(rsit_class, rsit_type), (kind, rsit_class, rsit_type)
    assert taxonomy.rsit().label(rsit_class, rsit_type)


def test_origin_of_kinds():
    assert set(taxonomy.KIND_TO_RSIT) == set(Kind.values)
    assert taxonomy.origin_of(Kind.RANSOMWARE) == Origin.MALICIOUS
    assert taxonomy.origin_of(Kind.TELECOM_LOSS) == Origin.NON_MALICIOUS
    assert taxonomy.origin_of(Kind.OTHER) == Origin.UNDETERMINED
    malicious = {k for k in Kind.values if taxonomy.origin_of(k) == Origin.MALICIOUS}
    assert len(malicious) == 10
    assert taxonomy.kinds_of(Origin.UNDETERMINED) == list(Kind.values)
    assert Kind.RANSOMWARE not in taxonomy.kinds_of(Origin.NON_MALICIOUS)
    assert Kind.OTHER in taxonomy.kinds_of(Origin.MALICIOUS)
    assert taxonomy.rsit().label("malicious-code", "infected-system") == \
        "Malicious Code / Infected System"
    assert taxonomy.rsit().label("") == ""
