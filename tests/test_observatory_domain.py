"""Pure rules of the observatory (no database): periods, small-count suppression cell by
cell, anonymised narratives, snapshot hash."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from vigisante.observatory import domain
from vigisante.observatory.domain import DERIVED, PRIMARY, SECONDARY, Group, suppress
from vigisante.observatory.tables import (
    HIDDEN,
    LT5,
    Column,
    Row,
    Section,
    Table,
    apply_public,
    distribution,
)


def test_periods():
    y = domain.Period.year(2023)
    assert (y.start, y.last, y.days, y.key()) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31),
                                                  365, "2023")
    assert y.previous() == domain.Period.year(2022)
    assert y.months()[0] == "2023-01" and len(y.months()) == 12
    assert y.trend_years() == [2019, 2020, 2021, 2022, 2023]
    q = domain.Period.between(dt.date(2024, 2, 15), dt.date(2024, 3, 14))
    assert not q.is_calendar_year and q.days == 29
    assert q.previous() == domain.Period(dt.date(2024, 1, 17), dt.date(2024, 2, 15))
    assert q.months() == ["2024-02", "2024-03"]
    start, end = y.bounds(ZoneInfo("Europe/Paris"))
    assert start.utcoffset() == dt.timedelta(hours=1) and end.date() == dt.date(2024, 1, 1)
    with pytest.raises(ValueError):
        domain.Period.between(dt.date(2024, 3, 1), dt.date(2024, 2, 1))


def test_small_arithmetic():
    assert domain.share(1, 3) == 0.3333 and domain.share(1, 0) is None
    assert domain.change(581, 592) == -0.0186 and domain.change(5, 0) is None
    assert domain.median_positions(5) == (2, 2) and domain.median_positions(4) == (1, 2)
    assert domain.repeat_counts([1, 1, 2, 3, 4, 7]) == {
        "1": 2, "2": 1, "3": 1, "4+": 2, "more_than_2": 3, "4_or_more": 2}
    assert domain.hours(dt.timedelta(minutes=90)) == 1.5 and domain.hours(None) is None


def test_primary_suppression_of_every_count_under_five():
    status = suppress({"a": 3, "b": 10, "c": 0, "d": 5, "e": 4, "f": None})
    assert status == {"a": PRIMARY, "c": PRIMARY, "e": PRIMARY}
    assert suppress({"a": 7, "b": 9}, threshold=8) == {"a": PRIMARY}


def test_one_hidden_cell_under_a_published_total_hides_the_next_smallest():
    counts = {"a": 3, "b": 10, "c": 12, "t": 25}
    status = suppress(counts, [Group("t", ("a", "b", "c"))])
    assert status == {"a": PRIMARY, "b": SECONDARY}  # c and the total stay published
    counts = {"a": 3, "b": 2, "c": 20, "t": 25}  # two hidden already: nothing to add
    assert suppress(counts, [Group("t", ("a", "b", "c"))]) == {"a": PRIMARY, "b": PRIMARY}
    counts = {"a": 3, "b": 10, "c": 12, "t": 4}  # the total itself is hidden
    assert suppress(counts, [Group("t", ("a", "b", "c"))]) == {"a": PRIMARY, "t": PRIMARY}


def test_rows_and_columns_until_nothing_changes():
    # 2 x 2 table with row totals R1 R2, column totals C1 C2 and a grand total G
    counts = {"11": 3, "12": 20, "21": 30, "22": 40,
              "R1": 23, "R2": 70, "C1": 33, "C2": 60, "G": 93}
    groups = [Group("R1", ("11", "12")), Group("R2", ("21", "22")),
              Group("C1", ("11", "21")), Group("C2", ("12", "22")),
              Group("G", ("R1", "R2")), Group("G", ("C1", "C2"))]
    status = suppress(counts, groups)
    assert status == {"11": PRIMARY, "12": SECONDARY, "21": SECONDARY, "22": SECONDARY}
    for cell in ("R1", "R2", "C1", "C2", "G"):
        assert cell not in status
    # every published total now has 0 or at least 2 hidden members
    for g in groups:
        assert sum(m in status for m in g.members) != 1


def test_a_total_is_hidden_when_no_other_member_can_be():
    # "same" cells are two one-member groups: hiding one hides the other
    counts = {"m1": 3, "m2": 8, "T": 11, "copy": 8}
    groups = [Group("T", ("m1", "m2")), Group("m2", ("copy",)), Group("copy", ("m2",))]
    assert suppress(counts, groups) == {"m1": PRIMARY, "m2": SECONDARY, "copy": SECONDARY}


def test_derived_cells_follow_their_counts():
    counts = {"n": 3, "m": 40, "t": 43}
    derived = {"share_n": ("n", "t"), "share_m": ("m", "t"), "mean_n": ("n",),
               "of_share": ("share_n",)}
    status = suppress(counts, [Group("t", ("n", "m"))], derived)
    assert status == {"n": PRIMARY, "m": SECONDARY, "share_n": DERIVED, "share_m": DERIVED,
                      "mean_n": DERIVED, "of_share": DERIVED}
    assert suppress({"n": 30, "t": 43}, [], {"share": ("n", "t")}) == {}


def test_public_tables_are_rewritten_cell_by_cell():
    s = Section(1, "x", "x")
    t = Table("t", "t", [Column("reports", "Reports"), Column("share", "Share", "share")])
    distribution(t, s, {"a": 2, "b": 6, "c": 30}, [("a", "A"), ("b", "B"), ("c", "C")],
                 None, 38, total_row="Total")
    internal = Table("names", "n", [Column("reports", "Reports")], internal_only=True)
    internal.rows.append(Row("x", "CHU Alpha", {"reports": 9}))
    s.tables += [t, internal]
    apply_public([s])
    assert [tb.id for tb in s.tables] == ["t"]
    shown = {r.key: [t.shown(r, c) for c in t.columns] for r in t.rows}
    # a (2) and b (6) hidden alone would give a + b = 8 and b >= 5, so a <= 3: the audit
    # hides c too, and a is anywhere in [0, 4] again
    assert shown == {"a": [LT5, HIDDEN], "b": [HIDDEN, HIDDEN], "c": [HIDDEN, HIDDEN],
                     "total": [38, 1.0]}


def test_anonymise_removes_names_contacts_and_identifiers():
    text = ("Au CHU Alpha (FINESS 750000011), un patient transféré ; contact "
            "dr.x@chu-alpha.fr, 01 23 45 67 89, https://intranet.chu-alpha.fr/x, 10.0.0.1.")
    out = domain.anonymise(text, ["CHU Alpha", "750000011", ""])
    for secret in ("CHU Alpha", "750000011", "dr.x@", "01 23 45 67 89", "intranet", "10.0.0.1"):
        assert secret not in out
    assert "un patient transféré" in out and domain.REDACTED in out


def test_snapshot_hash_is_deterministic_and_order_sensitive():
    at = dt.datetime(2023, 5, 1, 12, tzinfo=dt.UTC)

    def digest(rows, many=False):
        h = domain.SnapshotHash()
        h.section("reports")
        if many:
            h.add_many(rows)
        else:
            for r in rows:
                h.add(r)
        return h.hexdigest(), h.records

    rows = [(1, 2, at), (2, 1, None)]
    assert digest(rows) == digest(list(rows))
    assert digest(rows) == digest(rows, many=True)  # chunked feeding, same hash
    assert digest(rows)[0] != digest(rows[::-1])[0]
    assert digest([(1, True)])[0] != digest([(1, False)])[0]
    assert digest([(1, None)])[0] != digest([(1, "")])[0]
    assert digest([])[1] == 0 and digest(rows)[1] == 2
