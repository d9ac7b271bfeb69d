"""The rule table of the chain of authorities, as a pure function: hypothesis over
establishment categories, regions, impacts on patients and the sequence of steps."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from vigisante.authorities import domain
from vigisante.authorities.domain import Authority, Rule, Trigger
from vigisante.establishments.models import Category
from vigisante.establishments.regions import REGIONS
from vigisante.reports.models import PatientDanger, TriState

categories = st.sampled_from(Category.values)
regions = st.sampled_from(sorted(REGIONS))
care = st.sampled_from(TriState.values)
danger = st.sampled_from(["", *PatientDanger.values])
triggers = st.sampled_from(Trigger.values)
pairs = st.sets(st.sampled_from([(a, "") for a in ("hfds", "dgs", "defence")]
                                + [("ars", r) for r in sorted(REGIONS)]), max_size=4)


def facts(category, region, c, d, informed=frozenset()):
    return domain.Facts(category=category, region=region, patient_care_affected=c,
                        patient_danger=d, informed=frozenset(informed))


@settings(max_examples=400, deadline=None)
@given(categories, regions, care, danger, pairs)
def test_every_report_reaches_the_hfds_and_its_chain(category, region, c, d, informed):
    got = domain.recipients(facts(category, region, c, d, informed))
    keys = [r.key for r in got]
    assert len(keys) == len(set(keys)), "an authority is told twice"
    by_key = {r.key: r for r in got}
    assert by_key[("hfds", "")].rule == Rule.HFDS_ALWAYS
    army = category == "army"
    # army hospitals: the defence chain, never an ARS; everyone else: their own region's ARS
    assert (("defence", "") in by_key) == army
    ars = [k for k in keys if k[0] == Authority.ARS]
    assert ars == ([] if army else [("ars", region)])
    if not army:
        assert by_key[("ars", region)].rule == Rule.ARS_REGION
    else:
        assert by_key[("defence", "")].rule == Rule.DEFENCE_ARMY


@settings(max_examples=400, deadline=None)
@given(categories, regions, care, danger, st.booleans())
def test_the_dgs_only_for_care_or_danger_then_follows_up(category, region, c, d, told):
    informed = {("dgs", "")} if told else set()
    got = {r.key: r for r in domain.recipients(facts(category, region, c, d, informed))}
    impact = c == "yes" or d in ("potential", "actual")
    assert (("dgs", "") in got) == (impact or told)
    if impact:
        assert got[("dgs", "")].rule == Rule.DGS_HEALTH_IMPACT
    elif told:
        assert got[("dgs", "")].rule == Rule.DGS_FOLLOW_UP


@settings(max_examples=200, deadline=None)
@given(categories, regions, st.lists(st.tuples(care, danger), min_size=1, max_size=6))
def test_a_report_s_life_never_loses_an_authority(category, region, steps):
    """Along any sequence of impact changes, an authority told once is told of every later
    step: nobody hears of an incident and then never of its resolution."""
    informed: set = set()
    for c, d in steps:
        got = {r.key for r in domain.recipients(facts(category, region, c, d, informed))}
        assert informed <= got
        informed |= got


def test_other_regions_never_hear():
    for region in REGIONS:
        got = {r.key for r in domain.recipients(facts("ch", region, "no", "none"))}
        assert got == {("ars", region), ("hfds", "")}


@given(triggers, st.sampled_from(["", "minor", "significant", "major"]),
       st.sampled_from(["", "minor", "significant", "major"]))
def test_which_events_are_news(trigger, before, after):
    news = domain.is_news(trigger, before, after)
    if trigger == Trigger.SEVERITY_CHANGED:
        assert news == (bool(before) and bool(after) and before != after)
    else:
        assert news
    assert not domain.is_news("report.recieved")


def test_change_keys():
    assert domain.change_key(Trigger.RECEIVED, "x") == "received"
    assert domain.change_key(Trigger.RESOLVED, 3) == "resolved"
    assert domain.change_key(Trigger.QUALIFIED, 3) == "qualified:3"
    assert domain.change_key(Trigger.QUALIFIED, None) == "qualified"


UTC = dt.UTC


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1),
                    timezones=st.just(UTC)),
       st.integers(min_value=1, max_value=24 * 60), st.integers(min_value=-10_000,
                                                                 max_value=10_000))
def test_the_clock(start, target, offset):
    due = domain.due_at(start, target)
    assert due - start == dt.timedelta(minutes=target)
    sent = due + dt.timedelta(seconds=offset)
    assert domain.clock_state(due, sent) == (domain.ON_TIME if offset <= 0 else domain.LATE)
    assert domain.clock_state(due, None) == domain.DUE
    now = sent
    kind = domain.reminder_kind(due, None, now, [15], dt.timedelta(hours=168))
    if offset >= 0:
        assert kind == domain.OVERDUE
    elif offset >= -15 * 60:
        assert kind == "before_15m"
    else:
        assert kind is None
    assert domain.reminder_kind(due, sent, now, [15], dt.timedelta(hours=1)) is None


def test_old_deadlines_are_not_chased():
    due = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert domain.reminder_kind(due, None, due + dt.timedelta(hours=2), [15],
                                dt.timedelta(hours=1)) is None


# --- the clock of one step (arrival, qualification...) from its transmissions ---------------

T0 = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
offsets = st.integers(min_value=-120, max_value=120)
part = st.tuples(st.sampled_from(["pending", "held", "sent"]), offsets)


@settings(max_examples=300, deadline=None)
@given(st.lists(part, min_size=1, max_size=4))
def test_a_step_is_held_while_one_is_held_running_while_one_waits(parts):
    due = T0 + dt.timedelta(minutes=60)
    rows = [(state, due, T0 + dt.timedelta(minutes=60 + off) if state == "sent" else None)
            for state, off in parts]
    state, done = domain.step_state(rows)
    states = {s for s, _d, _sent in rows}
    if "held" in states:
        assert (state, done) == (domain.HELD, None)
    elif "pending" in states:
        assert (state, done) == (domain.DUE, None)
    else:
        assert done == max(sent for _s, _d, sent in rows)
        late = any(sent > due for _s, _d, sent in rows)
        assert state == (domain.LATE if late else domain.ON_TIME)


def test_a_step_without_transmission_is_a_mistake():
    import pytest

    with pytest.raises(ValueError):
        domain.step_state([])
