"""The drafts' template language and facts, without a database: whatever is missing, a draft
never fails and lists exactly the facts it needed and did not have."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vigisante
from vigisante.drafts import domain, facts, template

BUILTIN = Path(vigisante.__file__).parent / "drafts" / "builtin"
TREES = {p.name: template.parse(p.read_text(encoding="utf-8"), facts=facts.FACTS,
                                conditions=facts.CONDITIONS) for p in BUILTIN.glob("*.txt")}


def _marker(name: str) -> str:
    return f"[MISSING {name}]"


def test_every_kind_has_a_builtin_template_in_each_language():
    assert set(TREES) == {f"{k}.{lang}.txt" for k in domain.KINDS for lang in domain.LANGUAGES}


def test_render_places_facts_keeps_conditional_passages_and_lists_gaps():
    tree = template.parse("A {{ reference }}.{% if late_gdpr %} Late: {{ delay_reasons }}."
                          "{% else %} On time.{% endif %}{% if not resolved %} Open.{% endif %}",
                          facts=facts.FACTS, conditions=facts.CONDITIONS)
    text, gaps = template.render(tree, values={"reference": "VS-1"},
                                 conditions={"late_gdpr": True, "resolved": False},
                                 marker=_marker)
    assert text == "A VS-1. Late: [MISSING delay_reasons]. Open.\n"
    assert gaps == ["delay_reasons"]
    text, gaps = template.render(tree, values={"reference": "VS-1"},
                                 conditions={"late_gdpr": False, "resolved": True},
                                 marker=_marker)
    assert (text, gaps) == ("A VS-1. On time.\n", [])


@pytest.mark.parametrize("body", ["{{ x }}", "{% if %}", "{% if a b c %}", "{% for x in y %}",
                                  "{{ reference }", "{% if resolved %}{% else %}{% else %}",
                                  "{% endif %}{% if resolved %}"])
def test_invalid_templates_are_refused(body):
    with pytest.raises(template.TemplateError):
        template.parse(body, facts=facts.FACTS, conditions=facts.CONDITIONS)


NAMES = sorted(facts.FACTS)


@settings(max_examples=150, deadline=None)
@given(present=st.dictionaries(st.sampled_from(NAMES), st.text(min_size=1, max_size=40)),
       conds=st.fixed_dictionaries({c: st.booleans() for c in facts.CONDITIONS}),
       name=st.sampled_from(sorted(TREES)))
def test_any_missing_facts_give_a_draft_and_exactly_its_gaps(present, conds, name):
    text, gaps = template.render(TREES[name], values=present, conditions=conds, marker=_marker)
    assert text.endswith("\n")
    assert len(gaps) == len(set(gaps))
    for gap in gaps:
        assert gap not in present and f"[MISSING {gap}]" in text
    for fact in NAMES:
        if f"[MISSING {fact}]" in text:
            assert fact in gaps


PARIS = facts.PARIS


@settings(max_examples=100, deadline=None)
@given(people=st.one_of(st.none(), st.integers(0, 10**9)),
       flags=st.lists(st.booleans(), min_size=6, max_size=6),
       danger=st.sampled_from(["", "none", "potential", "actual"]),
       extra=st.dictionaries(st.sampled_from(facts.EXTRA_FACTS), st.text(max_size=30)),
       hours=st.integers(0, 24 * 60))
def test_facts_of_any_report_are_strings_or_gaps(people, flags, danger, extra, hours):
    found = dt.datetime(2026, 3, 29, 1, 30, tzinfo=PARIS)  # the night the clocks change
    src = facts.Source(
        reference="VS-2026-00001", establishment="EHPAD (fictif)", finess="", town="",
        category="EHPAD", discovered_at=found, reported_at=found + dt.timedelta(minutes=5),
        now=found + dt.timedelta(hours=hours), people_affected=people,
        data_availability=flags[0], data_integrity=flags[1], data_confidentiality=flags[2],
        personal_data=flags[3], health_data=flags[4], ransom_demanded=flags[5],
        patient_danger=danger, extra=extra, gdpr_due_at=found + dt.timedelta(hours=72))
    values = facts.values(src)
    assert set(values) >= set(facts.FACTS) - {"ransom_channel"}
    assert all(v is None or isinstance(v, str) for v in values.values())
    conds = facts.conditions(src, values)
    assert conds["late_gdpr"] == (hours > 72)
    for tree in TREES.values():
        text, gaps = template.render(tree, values=values, conditions=conds, marker=_marker)
        assert all(values.get(g) is None for g in gaps)
