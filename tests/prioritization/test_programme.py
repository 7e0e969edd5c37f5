"""The programme builder (prioritization/programme.py): hand-computed cases and properties."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prioritization.programme import (
    AXIS_CAP,
    ENDS_AFTER_PLAN,
    ENVELOPE,
    PARTICIPATORY,
    STARTS_AFTER_PLAN,
    Candidate,
    Envelope,
    ProgrammeError,
    build,
    even_schedule,
)

YEARS = [Envelope(2023, 100), Envelope(2024, 100), Envelope(2025, 100)]


def test_even_schedule_puts_the_remainder_first_and_adds_up():
    assert even_schedule(10, 3) == (4, 3, 3)
    assert even_schedule(9, 3) == (3, 3, 3)
    assert even_schedule(0, 2) == (0, 0)


def test_projects_fill_years_in_rank_order_at_their_earliest_fitting_start():
    # A (rank 1) 150 over 2 years from 2023 -> 75+75 in 2023/2024, leaving 25, 25, 100.
    # B (rank 2) 60 in one year: 2023 has 25, 2024 has 25 -> 2025 (earliest that fits).
    # C (rank 3) 30 in one year: 2023..2025 have 25, 25, 40 -> 2025.
    # D (rank 4) 20 in one year from 2024 -> 2024 (25 left).
    candidates = [Candidate("A", 1, 150, 2, 2023), Candidate("B", 2, 60, 1, 2023),
                  Candidate("C", 3, 30, 1, 2023), Candidate("D", 4, 20, 1, 2024)]
    result = build(YEARS, candidates)
    assert [(p.code, p.start_year, p.schedule) for p in result.placements] == [
        ("A", 2023, {2023: 75, 2024: 75}), ("B", 2025, {2025: 60}), ("C", 2025, {2025: 30}),
        ("D", 2024, {2024: 20})]
    assert [(y.year, y.committed, y.remaining) for y in result.years] == [
        (2023, 75, 25), (2024, 95, 5), (2025, 90, 10)]
    assert result.skipped == ()


def test_a_project_that_fits_nowhere_is_skipped_with_the_reason_and_just_missed():
    # A takes 90 of each year; B needs 20 in one year: 10 short everywhere -> skipped (envelope 2023, 10 short).
    # C needs 40: 30 short everywhere. Just missed in every year: B (10) before C (30).
    candidates = [Candidate("A", 1, 270, 3, 2023), Candidate("B", 2, 20, 1, 2023), Candidate("C", 3, 40, 1, 2023)]
    result = build(YEARS, candidates)
    assert [p.code for p in result.placements] == ["A"]
    b, c = result.skipped
    assert (b.code, b.reason, b.year, b.shortfall) == ("B", ENVELOPE, 2023, 10)
    assert (c.code, c.shortfall) == ("C", 30)
    assert [y.just_missed for y in result.years] == [("B", "C")] * 3


def test_a_lower_ranked_project_can_take_what_a_higher_one_left():
    candidates = [Candidate("BIG", 1, 500, 1, 2023), Candidate("SMALL", 2, 100, 1, 2023)]
    result = build(YEARS, candidates)
    assert [p.code for p in result.placements] == ["SMALL"]
    assert result.skipped[0].code == "BIG" and result.skipped[0].shortfall == 400


def test_projects_that_would_run_after_the_plan_are_skipped():
    candidates = [Candidate("LATE", 1, 10, 2, 2025), Candidate("AFTER", 2, 10, 1, 2027)]
    result = build(YEARS, candidates)
    assert [(s.code, s.reason) for s in result.skipped] == [("LATE", ENDS_AFTER_PLAN), ("AFTER", STARTS_AFTER_PLAN)]


def test_axis_caps_limit_each_axis_per_year():
    envelopes = [Envelope(2023, 100, {"water": 30}), Envelope(2024, 100, {"water": 50})]
    candidates = [Candidate("W1", 1, 40, 1, 2023, axis="water"), Candidate("W2", 2, 40, 1, 2023, axis="water"),
                  Candidate("R1", 3, 90, 1, 2023, axis="roads")]
    result = build(envelopes, candidates)
    # W1 overflows the 2023 water cap (30) -> 2024; W2: 2023 cap 30 (short 10), 2024 cap left 10 (short 30) -> skipped.
    assert result.placement("W1").start_year == 2024
    skip = result.skipped[0]
    assert (skip.code, skip.reason, skip.year, skip.shortfall, skip.axis) == ("W2", AXIS_CAP, 2023, 10, "water")
    assert result.placement("R1").start_year == 2023


def test_pinned_projects_go_first_at_their_year_and_dropped_ones_never():
    candidates = [Candidate("A", 1, 100, 1, 2023), Candidate("P", 5, 100, 1, 2023, pinned_year=2023),
                  Candidate("X", 2, 10, 1, 2023, dropped=True)]
    result = build(YEARS, candidates)
    assert result.placement("P").start_year == 2023 and result.placement("P").pinned
    assert result.placement("A").start_year == 2024  # 2023 was taken by the pinned project
    assert result.dropped == ("X",) and result.placement("X") is None


def test_envelopes_that_do_not_cover_a_pinned_project_are_refused():
    with pytest.raises(ProgrammeError) as err:
        build(YEARS, [Candidate("P", 1, 150, 1, 2023, pinned_year=2024)])
    assert (err.value.code, err.value.year, err.value.amount, err.value.project) == ("pinned_envelope", 2024, 50, "P")
    assert "2024" in str(err.value) and "50 MAD short" in str(err.value)


@pytest.mark.parametrize("envelopes, candidates, code", [
    ([Envelope(2023, -1)], [], "amount"),
    ([Envelope(2023, 1.5)], [], "amount"),
    ([Envelope(2023, 1), Envelope(2025, 1)], [], "years"),
    ([], [], "no_envelope"),
    (YEARS, [Candidate("A", 1, 10, 2, 2023, schedule=(5, 4))], "bad_schedule"),
    (YEARS, [Candidate("A", 1, 10, 2, 2023, schedule=(10,))], "bad_schedule"),
    (YEARS, [Candidate("A", 1, 10, 1, 2023), Candidate("A", 2, 10, 1, 2023)], "duplicate"),
])
def test_bad_input_is_refused_with_a_code(envelopes, candidates, code):
    with pytest.raises(ProgrammeError) as err:
        build(envelopes, candidates)
    assert err.value.code == code


def test_an_explicit_schedule_is_used():
    result = build(YEARS, [Candidate("A", 1, 100, 2, 2023, schedule=(90, 10))])
    assert result.placement("A").schedule == {2023: 90, 2024: 10}


# --- properties ------------------------------------------------------------------------------

candidate_lists = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 3), st.integers(2022, 2026), st.sampled_from("abc"),
              st.booleans()),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(amounts=st.lists(st.integers(0, 300), min_size=1, max_size=5), rows=candidate_lists,
       cap=st.integers(0, 300))
def test_placements_never_exceed_an_envelope_or_a_cap(amounts, rows, cap):
    envelopes = [Envelope(2023 + i, a, {"a": cap}) for i, a in enumerate(amounts)]
    candidates = [Candidate(f"P{i}", i, cost, d, start, axis, dropped=drop)
                  for i, (cost, d, start, axis, drop) in enumerate(rows)]
    result = build(envelopes, candidates)
    for year in result.years:
        spent = sum(p.schedule.get(year.year, 0) for p in result.placements)
        assert spent == year.committed <= year.envelope
        spent_a = sum(p.schedule.get(year.year, 0) for p in result.placements
                      if next(c for c in candidates if c.code == p.code).axis == "a")
        assert spent_a <= cap
    for p in result.placements:
        c = next(c for c in candidates if c.code == p.code)
        assert sum(p.schedule.values()) == c.cost and p.start_year >= c.earliest_year and not c.dropped
    # every candidate is placed, skipped or dropped — exactly once
    seen = [p.code for p in result.placements] + [s.code for s in result.skipped] + list(result.dropped)
    assert sorted(seen) == sorted(c.code for c in candidates)


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(st.integers(0, 300), min_size=1, max_size=4), rows=candidate_lists,
       order=st.randoms(use_true_random=False))
def test_the_order_of_the_input_does_not_matter(amounts, rows, order):
    envelopes = [Envelope(2023 + i, a) for i, a in enumerate(amounts)]
    candidates = [Candidate(f"P{i}", i, cost, d, start, axis) for i, (cost, d, start, axis, _) in enumerate(rows)]
    shuffled = list(candidates)
    order.shuffle(shuffled)
    assert build(envelopes, candidates) == build(list(reversed(envelopes)), shuffled)


# --- the participatory share --------------------------------------------------------------------

SHARED = [Envelope(2023, 100, participatory=40), Envelope(2024, 100, participatory=40)]


def test_residents_projects_fill_the_share_in_selection_order_and_ranked_ones_the_rest():
    # R2 is the rule's first choice (share_order 1): 30 of the 2023 share; R1 (second) 30 does not
    # fit the 10 left in 2023 -> 2024's share. Ranked A (60) fills the rest of 2023 exactly; B (70)
    # does not fit 2023's 0 nor 2024's 60 outside the share, although 10 of the 2024 share are left.
    candidates = [Candidate("A", 1, 60, 1, 2023), Candidate("B", 2, 70, 1, 2023),
                  Candidate("R1", 3, 30, 1, 2023, share_order=2, ranked=False),
                  Candidate("R2", 4, 30, 1, 2023, share_order=1, ranked=False)]
    result = build(SHARED, candidates)
    placed = {p.code: (p.start_year, p.participatory) for p in result.placements}
    assert placed == {"A": (2023, False), "R1": (2024, True), "R2": (2023, True)}
    assert [(s.code, s.reason, s.year, s.shortfall) for s in result.skipped] == [("B", ENVELOPE, 2023, 70)]
    assert [(y.share, y.share_committed, y.committed, y.remaining) for y in result.years] == [
        (40, 30, 90, 10), (40, 30, 30, 70)]


def test_a_residents_project_the_share_cannot_hold_competes_at_its_rank_or_is_skipped():
    candidates = [Candidate("BIG", 1, 50, 1, 2023, share_order=1),  # ranked: back among the ranked
                  Candidate("ONLY", 2, 45, 1, 2023, share_order=2, ranked=False)]  # not ranked: skipped
    result = build(SHARED, candidates)
    assert [(p.code, p.start_year, p.participatory) for p in result.placements] == [("BIG", 2023, False)]
    assert [(s.code, s.reason, s.year, s.shortfall) for s in result.skipped] == [("ONLY", PARTICIPATORY, 2023, 5)]


def test_without_a_share_nothing_changes_and_a_share_above_the_envelope_is_refused():
    plain = [Candidate("A", 1, 60, 1, 2023), Candidate("B", 2, 70, 1, 2023)]
    assert build([Envelope(2023, 100, participatory=0)], plain) == build([Envelope(2023, 100)], plain)
    with pytest.raises(ProgrammeError) as exc:
        build([Envelope(2023, 100, participatory=101)], plain)
    assert exc.value.code == "share"


def test_a_pinned_residents_project_takes_the_share_when_it_fits():
    result = build(SHARED, [Candidate("R", 1, 40, 1, 2023, pinned_year=2024, share_order=1),
                            Candidate("A", 2, 60, 1, 2023)])
    assert [(p.code, p.start_year, p.participatory, p.pinned) for p in result.placements] == [
        ("R", 2024, True, True), ("A", 2023, False, False)]


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 2), st.booleans(), st.booleans()), max_size=10),
       amounts=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=1, max_size=4))
def test_the_share_and_the_rest_are_never_overspent(rows, amounts):
    envelopes = [Envelope(2023 + i, a + b, participatory=b) for i, (a, b) in enumerate(amounts)]
    candidates = [Candidate(f"P{i}", i, cost, d, 2023, share_order=i if chosen else None, ranked=ranked or not chosen)
                  for i, (cost, d, chosen, ranked) in enumerate(rows)]
    result = build(envelopes, candidates)
    for env, year in zip(envelopes, result.years):
        from_share = sum(p.schedule.get(env.year, 0) for p in result.placements if p.participatory)
        rest = sum(p.schedule.get(env.year, 0) for p in result.placements if not p.participatory)
        assert from_share == year.share_committed <= env.participatory
        assert rest <= env.amount - env.participatory
    for p in result.placements:
        assert not p.participatory or next(c for c in candidates if c.code == p.code).share_order is not None
    seen = [p.code for p in result.placements] + [s.code for s in result.skipped]
    assert sorted(seen) == sorted(c.code for c in candidates)
