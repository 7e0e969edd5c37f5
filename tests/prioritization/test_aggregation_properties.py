"""Properties of the committee aggregation, checked with Hypothesis on small random rounds."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from prioritization.aggregation import Criterion, Project, Score, aggregate, sensitivity

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
HALF_POINTS = st.integers(0, 10).map(lambda n: n / 2)  # committee scores: 0, 0.5, …, 5


@st.composite
def rounds(draw, min_recusals=0):
    """(criteria, projects, scores) of a small random round."""
    n_scored = draw(st.integers(1, 4))
    criteria = [Criterion(f"c{i}", draw(st.integers(0, 5))) for i in range(n_scored)]
    if draw(st.booleans()):
        criteria.append(Criterion("support", draw(st.integers(0, 5)), "support"))
    assume(sum(c.weight for c in criteria) > 0)
    codes = [f"P{i}" for i in range(draw(st.integers(1, 5)))]
    projects = [Project(code, draw(st.integers(0, 50)), draw(st.integers(0, 10_000))) for code in codes]
    members = [f"m{j}" for j in range(draw(st.integers(1, 4)))]
    cells = [(m, p, c.id) for m in members for p in codes for c in criteria if c.kind == "scored"]
    chosen = draw(st.lists(st.sampled_from(cells), unique=True, max_size=len(cells))) if cells else []
    rows = [Score(m, p, c, draw(HALF_POINTS)) for m, p, c in chosen]
    pairs = [(m, p) for m in members for p in codes]
    recused = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=min_recusals, max_size=len(pairs)))
    rows += [Score.recusal(m, p) for m, p in recused]
    return criteria, projects, rows


def _summary(ranking):
    return [(p.project, p.rank, p.composite, p.values, p.members, p.disagreement, p.contested)
            for p in ranking.projects]


@SETTINGS
@given(data=rounds(), order=st.randoms(use_true_random=False), normalize=st.sampled_from(["none", "zscore"]))
def test_the_order_of_input_rows_changes_nothing(data, order, normalize):
    criteria, projects, rows = data
    before = aggregate(criteria, projects, rows, normalize=normalize)
    for items in (criteria, projects, rows):
        order.shuffle(items)
    after = aggregate(criteria, projects, rows, normalize=normalize)
    assert after.projects == before.projects
    assert (after.kendall_w, after.kendall_members) == (before.kendall_w, before.kendall_members)
    assert sensitivity(after, top_k=2, seed=1, draws=200) == sensitivity(before, top_k=2, seed=1, draws=200)


@SETTINGS
@given(data=rounds(), factor=st.floats(0.001, 1000), normalize=st.sampled_from(["none", "zscore"]))
def test_multiplying_every_weight_by_a_constant_changes_nothing(data, factor, normalize):
    criteria, projects, rows = data
    scaled = [dataclasses.replace(c, weight=c.weight * factor) for c in criteria]
    before = aggregate(criteria, projects, rows, normalize=normalize)
    after = aggregate(scaled, projects, rows, normalize=normalize)
    assert [(p.project, p.rank, p.members, p.contested) for p in after.projects] == \
        [(p.project, p.rank, p.members, p.contested) for p in before.projects]
    for a, b in zip(after.projects, before.projects):
        assert a.composite == pytest.approx(b.composite, rel=1e-9, abs=1e-12)
        assert a.disagreement == pytest.approx(b.disagreement, rel=1e-9, abs=1e-12)
        assert a.values == pytest.approx(b.values, rel=1e-9, abs=1e-12)
    assert [c.weight for c in after.criteria] == pytest.approx([c.weight for c in before.criteria])


@SETTINGS
@given(data=rounds(min_recusals=1), new_values=st.lists(HALF_POINTS, min_size=8, max_size=8),
       keep=st.lists(st.booleans(), min_size=8, max_size=8), normalize=st.sampled_from(["none", "zscore"]))
def test_a_recused_members_scores_never_move_anything(data, new_values, keep, normalize):
    criteria, projects, rows = data
    member, project = next((s.member, s.project) for s in rows if s.recused)
    others = [s for s in rows if not (s.member == member and s.project == project and not s.recused)]
    scored = [c.id for c in criteria if c.kind == "scored"]
    # replace whatever the recused member gave that project by other scores (some criteria left out)
    changed = others + [Score(member, project, c, v) for c, v, k in zip(scored, new_values, keep) if k]
    before = aggregate(criteria, projects, rows, normalize=normalize)
    after = aggregate(criteria, projects, changed, normalize=normalize)
    assert after.projects == before.projects
    assert (after.kendall_w, after.kendall_members) == (before.kendall_w, before.kendall_members)


@SETTINGS
@given(data=rounds(), pick=st.integers(0, 10_000), raise_by=st.integers(1, 10).map(lambda n: n / 2))
def test_raising_one_score_never_lowers_that_projects_composite(data, pick, raise_by):
    criteria, projects, rows = data
    scored = [i for i, s in enumerate(rows) if not s.recused]
    assume(scored)
    index = scored[pick % len(scored)]
    score = rows[index]
    higher = list(rows)
    higher[index] = dataclasses.replace(score, value=min(5.0, score.value + raise_by))
    before = aggregate(criteria, projects, rows).project(score.project).composite
    after = aggregate(criteria, projects, higher).project(score.project).composite
    assert after >= before


@SETTINGS
@given(data=rounds(), k=st.integers(1, 6), seed=st.integers(0, 2**32), normalize=st.sampled_from(["none", "zscore"]))
def test_sensitivity_fractions_are_in_0_1_and_repeat_for_the_same_seed(data, k, seed, normalize):
    criteria, projects, rows = data
    ranking = aggregate(criteria, projects, rows, normalize=normalize)
    first = sensitivity(ranking, top_k=k, seed=seed)
    assert all(0.0 <= s.fraction <= 1.0 for s in first.projects)
    assert sum(s.fraction for s in first.projects) == pytest.approx(min(k, len(projects)))
    assert sensitivity(ranking, top_k=k, seed=seed) == first
    assert sensitivity(ranking, top_k=k, seed=seed, _prune=False) == first


@SETTINGS
@given(data=rounds(), normalize=st.sampled_from(["none", "zscore"]))
def test_results_stay_in_their_ranges(data, normalize):
    criteria, projects, rows = data
    ranking = aggregate(criteria, projects, rows, normalize=normalize)
    assert sorted(p.rank for p in ranking.projects) == list(range(1, len(projects) + 1))
    assert [p.rank for p in ranking.projects] == list(range(1, len(projects) + 1))
    for p in ranking.projects:
        assert all(0.0 <= v <= 5.0 for v in p.values.values())
        assert -1e-12 <= p.composite <= 5.0 + 1e-12
        assert p.disagreement >= 0.0
    for a, b in zip(ranking.projects, ranking.projects[1:]):
        assert a.composite > b.composite - 1e-9
    assert ranking.kendall_w is None or -1e-12 <= ranking.kendall_w <= 1.0 + 1e-12
