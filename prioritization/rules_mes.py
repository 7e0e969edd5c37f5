"""The Method of Equal Shares engines (used by prioritization.rules): exact outcomes, fast.

Two engines compute the same MES run (the same selection and the same exact price factors rho):

`EqualSharesEngine` (numpy) decides every comparison exactly but uses floats to *screen*:
- A voter's budget is exactly b_i = max(0, E - sum over selected s she supports of rho_s * u_i(s))
  (she pays rho_s * u_i(s) in full until she cannot, then everything she has, then nothing). The
  engine keeps these sums in a float64 array *and* every rho_s as an exact integer over a common
  denominator, so any budget can be recomputed exactly; the float array stays within a proven
  bound `eps` of it (each float operation errs by at most one unit round-off of the largest
  magnitude involved; we use 8 units).
- For each project, a float water level gives candidate bounds [lo, hi] around rho, which are
  then verified: the supporters' payments at lo, computed with budgets + eps (an upper envelope
  of the exact budgets), must fall short of the cost, and at hi, with budgets - eps, cover it.
- Lazy evaluation over a heap (rho never decreases from round to round); the projects whose
  interval reaches below the best upper bound, and always the winner, get their exact rho:
  supporters certainly poor or rich by the float margins are summed exactly (counts times exact
  rho_s), the few ambiguous ones are recomputed one by one.
Anything the floats cannot certify (exact ties, a budget equal to a price, a project exactly
affordable) is settled by the exact path, so floats only make the common case fast.

`TrackedEngine` (pure Python integers) runs MES over voter classes and also returns an interval of
endowments on which the run makes exactly the same choices; the Add1 loop jumps over it.

tests/prioritization/test_rules_mes.py compares both with a plain Fraction implementation of the
definition on random elections rich in ties, and checks the intervals.
"""
from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

_UNIT = 2.0 ** -50          # 8 x the float64 unit round-off: every error bound is a multiple of it
_UNAFFORDABLE = "unaffordable"
_AMBIGUOUS = "ambiguous"


@dataclass
class EqualSharesRun:
    """One run of MES at one endowment: the selection with its exact price factors."""
    endowment: Fraction
    selected: list[int]                 # project indexes, in selection order
    rho: list[Fraction]                 # price factor of each selected project
    cost: int
    engine: EqualSharesEngine
    exact_fallbacks: int = 0            # times the float screening could not certify and exact took over
    # TrackedEngine only: (hi, closed): every comparison the run made keeps its sign for endowments
    # in [endowment, hi] (closed) or [endowment, hi) (open); hi None = for every larger endowment.
    valid_until: tuple[Fraction | None, bool] | None = None

    def payments(self) -> dict[int, dict[int, Fraction]]:
        """project index -> {voter index: what that supporter paid for it}, exactly."""
        e = self.engine
        budgets = [self.endowment] * e.n
        paid: dict[int, dict[int, Fraction]] = {}
        for c, rho in zip(self.selected, self.rho):
            row = {}
            for i, u in e.supporters_of(c):
                pay = min(budgets[i], rho * u)
                budgets[i] -= pay
                row[i] = pay
            paid[c] = row
        return paid

    def spent(self) -> list[Fraction]:
        """What each voter paid in all (never more than the endowment)."""
        total = [Fraction(0)] * self.engine.n
        for row in self.payments().values():
            for i, pay in row.items():
                total[i] += pay
        return total


class _Engine:
    """What both engines share: the supporters and utilities of every project, prepared once."""

    def __init__(self, n: int, cost: Sequence[int], supporters: Sequence[Sequence[int]],
                 utilities: Sequence[Sequence[int] | None], tie_keys: Sequence[tuple]):
        self.n = n
        self.cost = list(cost)
        self.candidates = [c for c in range(len(cost)) if cost[c] > 0 and len(supporters[c]) > 0]
        self.uniform = all(utilities[c] is None for c in self.candidates)
        if not self.uniform:   # one utility model per engine: cost utilities become explicit
            utilities = [[cost[c]] * len(supporters[c]) if utilities[c] is None else list(utilities[c])
                         for c in range(len(cost))]
        self.supporters = [list(s) for s in supporters]
        self.utilities = utilities
        self.tie = {c: tie_keys[c] for c in self.candidates}
        self.total_supports = sum(len(self.supporters[c]) for c in self.candidates)

    def supporters_of(self, c: int) -> list[tuple[int, int]]:
        """(voter, utility) for every supporter of c."""
        us = [self.cost[c]] * len(self.supporters[c]) if self.uniform else self.utilities[c]
        return list(zip(self.supporters[c], us))

    def constant_from(self) -> float:
        """An endowment from which every voter can pay her full share of every project she
        supports, so every supported project is bought, always in the same order: the outcome
        no longer changes for larger endowments (a safe upper bound, rounded up)."""
        need = [0.0] * self.n
        for c in self.candidates:
            total = (self.cost[c] * len(self.supporters[c]) if self.uniform else sum(self.utilities[c]))
            share = self.cost[c] / total            # rho when nobody is short of money
            for i, u in self.supporters_of(c):
                need[i] += share * u
        return max(need, default=0.0) * (1 + 1e-9) + 1e-9


class EqualSharesEngine(_Engine):
    """The numpy engine (see the module docstring): `run(endowment)`, no interval."""

    def __init__(self, n: int, cost: Sequence[int], supporters: Sequence[Sequence[int]],
                 utilities: Sequence[Sequence[int] | None], tie_keys: Sequence[tuple]):
        super().__init__(n, cost, supporters, utilities, tie_keys)
        self.sup = {c: np.asarray(self.supporters[c], dtype=np.intp) for c in self.candidates}
        self.util = {c: None if self.uniform else np.asarray(self.utilities[c], dtype=np.int64)
                     for c in self.candidates}
        self.util_f = {c: None if self.uniform else self.util[c].astype(np.float64) for c in self.candidates}
        self.utotal = {c: (self.cost[c] * len(self.supporters[c]) if self.uniform else int(self.util[c].sum()))
                       for c in self.candidates}
        self.maxu = {c: (self.cost[c] if self.uniform else int(self.util[c].max())) for c in self.candidates}
        self.divisors = {c: np.arange(len(self.supporters[c]), 0, -1, dtype=np.float64) for c in self.candidates}
        self._voter_items: list[list[tuple[int, int]]] | None = None

    def constant_from(self) -> float:
        if not self.candidates:
            return 0.0
        voters = np.concatenate([self.sup[c] for c in self.candidates])
        shares = np.concatenate([np.full(len(self.sup[c]), self.cost[c] / self.utotal[c] * self.cost[c])
                                 if self.uniform else self.cost[c] / self.utotal[c] * self.util_f[c]
                                 for c in self.candidates])
        return float(np.bincount(voters, weights=shares, minlength=self.n).max()) * (1 + 1e-9) + 1e-9

    def voter_items(self) -> list[list[tuple[int, int]]]:
        """Per voter: (project, utility) of every candidate she supports (built on first use)."""
        if self._voter_items is None:
            items: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
            for c in self.candidates:
                for i, u in self.supporters_of(c):
                    items[i].append((c, u))
            self._voter_items = items
        return self._voter_items

    def run(self, endowment: Fraction) -> EqualSharesRun:
        return _Run(self, Fraction(endowment)).execute()


class _Run:
    def __init__(self, engine: EqualSharesEngine, endowment: Fraction):
        self.g = engine
        self.E = endowment
        # exact state: the endowment and every rho_s as integers over one common denominator D
        self.D = endowment.denominator
        self.EN = endowment.numerator
        self.rhoN: list[int] = []          # rho_s * D
        self.winners: list[int] = []
        self.rhos: list[Fraction] = []
        self.win_pos: dict[int, int] = {}
        # float state: R_i ~ E - sum rho_s u_i(s) (not clipped at 0), within eps of the exact value
        self.R = np.full(engine.n, float(endowment))
        self.M = float(endowment) * (1 + 1e-12) + 1e-300   # bound on every magnitude in R's history
        # member[t, i] = 1 if voter i supports the t-th selected project
        self.member = np.zeros((len(engine.candidates) + 1, engine.n), dtype=np.uint8) if engine.uniform else None
        self.fallbacks = 0

    @property
    def eps(self) -> float:
        return (len(self.winners) + 2) * self.M * _UNIT

    # --- exact arithmetic ---

    def exact_sum(self, idx: np.ndarray) -> Fraction:
        """Exact sum over voters idx of E - sum_s rho_s u_i(s) (callers pass voters whose value is > 0)."""
        k = len(idx)
        if k == 0:
            return Fraction(0)
        g, t = self.g, len(self.winners)
        total = k * self.EN
        if t:
            if g.uniform:
                counts = self.member[:t, idx].sum(axis=1, dtype=np.int64).tolist()
                for s, cnt in enumerate(counts):
                    if cnt:
                        total -= self.rhoN[s] * g.cost[self.winners[s]] * cnt
            else:
                mask = np.zeros(g.n, dtype=bool)
                mask[idx] = True
                for s, w in enumerate(self.winners):
                    used = int(g.util[w][mask[g.sup[w]]].sum())
                    if used:
                        total -= self.rhoN[s] * used
        return Fraction(total, self.D)

    def exact_budget(self, i: int, memo: dict) -> Fraction:
        sig = tuple((self.win_pos[c], u) for c, u in self.g.voter_items()[i] if c in self.win_pos)
        value = memo.get(sig)
        if value is None:
            num = self.EN - sum(self.rhoN[s] * u for s, u in sig)
            value = memo[sig] = Fraction(max(num, 0), self.D)
        return value

    def exact_total(self, c: int) -> Fraction:
        """Exact total budget of c's supporters."""
        idx = self.g.sup[c]
        Rc = self.R[idx]
        e = self.eps
        total = self.exact_sum(idx[Rc > e])
        memo: dict = {}
        for i in idx[np.abs(Rc) <= e].tolist():
            total += self.exact_budget(i, memo)
        return total

    def exact_rho(self, c: int, lo: float | None, hi: float | None) -> Fraction | None:
        """The exact rho of c (None if its supporters cannot pay its cost), using the certified
        float interval [lo, hi] to classify most supporters without exact arithmetic."""
        g = self.g
        idx = g.sup[c]
        Rc = self.R[idx]
        e = self.eps
        C = g.cost[c]
        if lo is None:
            poor = np.zeros(len(idx), dtype=bool)
            rich = poor.copy()
        else:
            bf = np.maximum(Rc, 0.0)
            u = C if g.uniform else g.util_f[c]
            poor = (bf + e) * (1 + 4 * _UNIT) < lo * u * (1 - 4 * _UNIT)
            rich = (bf - e) * (1 - 4 * _UNIT) >= hi * u * (1 + 4 * _UNIT)
        amb = ~(poor | rich)
        memo: dict = {}
        pidx, Rp = idx[poor], Rc[poor]
        need = C - self.exact_sum(pidx[Rp > e])
        for i in pidx[np.abs(Rp) <= e].tolist():
            need -= self.exact_budget(i, memo)
        if g.uniform:
            U = C * int(np.count_nonzero(rich))
            ambiguous = [(self.exact_budget(i, memo), C) for i in idx[amb].tolist()]
        else:
            U = int(g.util[c][rich].sum())
            ambiguous = [(self.exact_budget(i, memo), int(u)) for i, u in zip(idx[amb].tolist(), g.util[c][amb])]
        ambiguous.sort(key=lambda bu: bu[0] / bu[1])
        U += sum(u for _, u in ambiguous)
        rho = None
        for b, u in ambiguous:
            if U == 0:
                break
            r = need / U
            if r * u <= b:
                rho = r
                break
            need -= b
            U -= u
        if rho is None:
            if U == 0:
                return None
            rho = Fraction(need) / U
        if lo is not None and not (lo <= rho <= hi):
            # the float screening was wrong (never observed): decide everything exactly
            self.fallbacks += 1
            return self.exact_rho(c, None, None)
        return rho

    # --- float screening ---

    def bracket(self, c: int):
        """(lo, hi) certified around rho(c), or _UNAFFORDABLE (certain), or _AMBIGUOUS."""
        g = self.g
        b = self.R[g.sup[c]]
        np.maximum(b, 0.0, out=b)
        m = len(b)
        e = self.eps
        C = g.cost[c]
        total = float(b.sum())
        err = m * e + (m + 2) * _UNIT * (total + m * e)
        if total + err < C:
            return _UNAFFORDABLE
        if total - err < C:
            return _AMBIGUOUS
        u = None if g.uniform else g.util_f[c]
        center = (_level_uniform(b, C, g.divisors[c]) if u is None
                  else _level_general(b, u, C, g.utotal[c]))
        if center is None:
            return _AMBIGUOUS
        rho, rich_u = center
        # Candidate bounds around the float level, each then *verified* against the exact budgets'
        # float envelope: F(x) = sum(min(b_i, x u_i)) is at least F computed with max(b - e, 0)
        # and at most F computed with b + e. If F(hi) >= C then rho <= hi; if F(lo) < C, rho > lo.
        # (Budgets e higher or lower move rho by about m * e / rich_u.)
        margin = (m + 4) * _UNIT * (C + total + m * e) / rich_u + m * e / rich_u
        uu = C if u is None else u
        rel = (m + 2) * _UNIT
        lo = rho - 2 * margin
        if lo > 0 and float(np.minimum(b + e, lo * uu).sum()) * (1 + rel) >= C:
            lo = None
        low_b = np.maximum(b - e, 0.0)
        hi = rho + 2 * margin
        if float(np.minimum(low_b, hi * uu).sum()) * (1 - rel) < C:
            hi = None
        if lo is None:      # rare: compute the level with budgets + e
            level = (_level_uniform(b + e, C, g.divisors[c]) if u is None
                     else _level_general(b + e, u, C, g.utotal[c]))
            lo = level[0] - (m + 4) * _UNIT * (C + total + m * e) / level[1]
        if hi is None:      # rare: compute the level with budgets - e
            level = (_level_uniform(low_b, C, g.divisors[c]) if u is None
                     else _level_general(low_b, u, C, g.utotal[c]))
            if level is None:
                return _AMBIGUOUS
            hi = level[0] + (m + 4) * _UNIT * (C + total + m * e) / level[1]
        return max(lo, 0.0), hi

    # --- the rounds ---

    def execute(self) -> EqualSharesRun:
        g = self.g
        heap: list[tuple] = []
        rnd = 0

        def evaluate(c):
            """Fresh (lo, hi, exact-or-None) for c this round, or None if unaffordable."""
            br = self.bracket(c)
            if br is _UNAFFORDABLE:
                return None
            if br is _AMBIGUOUS:
                if self.exact_total(c) < g.cost[c]:
                    return None
                rho = self.exact_rho(c, None, None)
                if rho is None:
                    return None
                return _down(rho), _up(rho), rho
            return br[0], br[1], None

        for c in g.candidates:
            ev = self.first_round(c) if g.uniform else evaluate(c)
            if ev is not None:
                heap.append((ev[0], g.tie[c], c, ev[1], ev[2], rnd))
        heapq.heapify(heap)
        while heap:
            # Lazy evaluation: rho never decreases from round to round, so an old lower bound is
            # still a lower bound. Refresh from the top until no stale entry can beat the best
            # upper bound among fresh ones.
            fresh: list[tuple] = []
            best_hi = math.inf
            while heap and heap[0][0] <= best_hi:
                entry = heapq.heappop(heap)
                lo, tie, c, hi, exact, stamp = entry
                if stamp != rnd:
                    ev = evaluate(c)
                    if ev is not None:
                        heapq.heappush(heap, (ev[0], tie, c, ev[1], ev[2], rnd))
                    continue
                fresh.append(entry)
                best_hi = min(best_hi, hi)
            if not fresh:
                break
            contenders = [e for e in fresh if e[0] <= best_hi]
            for e in fresh:
                if e[0] > best_hi:
                    heapq.heappush(heap, e)
            scored = []
            for lo, tie, c, hi, exact, stamp in contenders:
                if exact is None:
                    exact = self.exact_rho(c, lo, hi)
                scored.append((exact, tie, c, lo, hi))
            scored.sort(key=lambda x: (x[0], x[1]))
            rho, _, w, _, _ = scored[0]
            for exact, tie, c, lo, hi in scored[1:]:
                heapq.heappush(heap, (lo, tie, c, hi, exact, rnd))
            self.select(w, rho)
            rnd += 1
        return EqualSharesRun(self.E, self.winners, self.rhos, sum(g.cost[c] for c in self.winners), g,
                              self.fallbacks)

    def first_round(self, c: int):
        """Before anything is bought every supporter holds E: with cost utilities either all can
        pay cost / m (rho = 1 / m, exactly) or together they cannot pay at all."""
        m = len(self.g.sup[c])
        if self.E * m < self.g.cost[c]:
            return None
        rho = Fraction(1, m)
        return _down(rho), _up(rho), rho

    def select(self, w: int, rho: Fraction) -> None:
        g = self.g
        # exact: bring rho to the common denominator
        d = rho.denominator
        if self.D % d:
            scale = d // math.gcd(self.D, d)
            self.D *= scale
            self.EN *= scale
            self.rhoN = [x * scale for x in self.rhoN]
        self.rhoN.append(rho.numerator * (self.D // d))
        self.win_pos[w] = len(self.winners)
        t = len(self.winners)
        self.winners.append(w)
        self.rhos.append(rho)
        # float: every supporter pays rho * u (the sum goes below 0 for those who pay all they have)
        idx = g.sup[w]
        if g.uniform:
            pay = float(rho * g.cost[w])
            self.R[idx] -= pay
            self.member[t, idx] = 1
            self.M += pay * (1 + 1e-12)
        else:
            r = float(rho)
            self.R[idx] -= r * g.util_f[w]
            self.M += r * g.maxu[w] * (1 + 1e-12)


def _level_uniform(b: np.ndarray, cost: int, divisors: np.ndarray):
    """Water level with equal utilities: the least payment p with sum(min(b_i, p)) >= cost, as
    (rho = p / cost, total utility of those who pay p in full), or None.

    Fixed-point iteration p <- (cost - sum of budgets below p) / (number at or above p), from
    cost / m: it only grows, never passes the level, and stops when no new voter falls below p
    (usually after 1 to 3 passes, no sort); after 12 passes, sort and scan."""
    m = len(b)
    p = cost / m
    below = 0
    for it in range(12):
        poor = b < p
        k = int(np.count_nonzero(poor))
        if k == 0:
            return p / cost, m * cost
        if k == m:
            return None
        if it and k == below:           # p was computed from exactly this set of poor voters
            return p / cost, (m - k) * cost
        below = k
        p = (cost - float(b.sum(where=poor))) / (m - k)
    bs = np.sort(b)
    cs = np.cumsum(bs)
    if cs[-1] < cost:
        return None
    prev = np.empty_like(cs)
    prev[0] = 0.0
    prev[1:] = cs[:-1]
    pay = (cost - prev) / divisors
    ok = pay <= bs
    j = int(ok.argmax())
    if not ok[j]:
        return None
    return pay[j] / cost, divisors[j] * cost


def _level_general(b: np.ndarray, u: np.ndarray, cost: int, utotal: int):
    """Water level for per-voter utilities: the least rho with sum(min(b_i, rho u_i)) >= cost, as
    (rho, total utility of those who pay rho u_i in full), or None. Same iteration, then sort."""
    rho = cost / utotal
    below = 0
    rich_u = float(utotal)
    for it in range(12):
        poor = b < rho * u
        k = int(np.count_nonzero(poor))
        if k == 0:
            return rho, float(utotal)
        if it and k == below:
            return rho, rich_u
        below = k
        rich_u = float(utotal) - float(u.sum(where=poor))
        if rich_u <= 0:
            return None
        rho = (cost - float(b.sum(where=poor))) / rich_u
    order = np.argsort(b / u, kind="stable")
    bs, us = b[order], u[order]
    cs = np.cumsum(bs)
    if cs[-1] < cost:
        return None
    prev = np.empty_like(cs)
    prev[0] = 0.0
    prev[1:] = cs[:-1]
    cu = np.cumsum(us)
    usuf = float(utotal) - (cu - us)
    rhos = (cost - prev) / usuf
    ok = rhos * us <= bs
    j = int(ok.argmax())
    if not ok[j]:
        return None
    return rhos[j], usuf[j]


def _down(x: Fraction) -> float:
    f = float(x)
    return f if f <= x else math.nextafter(f, -math.inf)


def _up(x: Fraction) -> float:
    f = float(x)
    return f if f >= x else math.nextafter(f, math.inf)


# --- the tracked engine: pure Python, exact, with the interval on which its outcome is constant ----

class TrackedEngine(_Engine):
    """Equal Shares in exact Fractions over voter classes (voters who paid for the same selected
    projects with the same utilities hold the same budget), where every quantity is also kept as an
    affine function of the endowment E: budget = value + slope * (E - E0). Each comparison the run
    makes records how far E can grow before it changes sign, so a run also returns an interval of
    endowments on which it would make exactly the same choices: the Add1 loop jumps over it.
    Fast for small electorates, where such intervals span many currency units."""

    def run(self, endowment: Fraction) -> EqualSharesRun:
        e0 = Fraction(endowment)
        cost, supp, uniform = self.cost, self.supporters, self.uniform
        utils = self.utilities
        cls = [0] * self.n
        # Integers over common denominators: budget of class k = B[k] / D, its slope S[k] / DS.
        D, DS = e0.denominator, 1
        B, S = [e0.numerator], [1]
        bound = _Bound(e0)

        def rho_of(c):
            """(rho, d rho / dE) of project c, or None if its supporters cannot pay its cost."""
            if uniform:
                u = cost[c]
                entries = sorted(((B[k], S[k], u, n) for k, n in Counter(map(cls.__getitem__, supp[c])).items()),
                                 key=lambda e: e[0])
            else:
                groups = Counter(zip(map(cls.__getitem__, supp[c]), utils[c]))
                entries = sorted(((B[k], S[k], u, n) for (k, u), n in groups.items()),
                                 key=lambda e: Fraction(e[0], e[2]))
            need = cost[c] * D
            total = sum(b * n for b, _, _, n in entries)
            total_slope = sum(s_ * n for _, s_, _, n in entries)
            if total < need:     # unaffordable while need - total > 0
                bound.keep_ratio(need - total, -total_slope, D, DS, strict=True)
                return None
            bound.keep_ratio(total - need, total_slope, D, DS, strict=False)
            U = sum(u * n for _, _, u, n in entries)
            paid = paid_slope = 0
            poor = 0
            for b, s_, u, n in entries:
                # rho = (need - paid) / (U * D); she pays rho * u in full iff that is <= b / D
                if (need - paid) * u <= b * U:
                    break
                paid += b * n
                paid_slope += s_ * n
                U -= u * n
                poor += 1
            left = need - paid          # rho = left / (U * D), d rho / dE = -paid_slope / (U * DS)
            for j, (b, s_, u, n) in enumerate(entries):
                # f = b - rho u = (b U - left u) / (U D);  f' = (s U + paid_slope u) / (U DS)
                value, slope_num = b * U - left * u, s_ * U + paid_slope * u
                if j < poor:     # pays all she has: stays so while -f > 0
                    bound.keep_ratio(-value, -slope_num, D, DS, strict=True)
                else:            # pays rho * u: stays so while f >= 0
                    bound.keep_ratio(value, slope_num, D, DS, strict=False)
            return Fraction(left, U * D), Fraction(-paid_slope, U * DS), left, paid_slope, U

        heap = []
        for c in self.candidates:
            r = rho_of(c)
            if r is not None:
                heap.append((r[0], self.tie[c], c, r, 0))
        heapq.heapify(heap)
        selected: list[int] = []
        rhos: list[Fraction] = []
        rnd = 0
        while heap:
            # rho never decreases from round to round: recompute the top until it is fresh
            while heap and heap[0][4] != rnd:
                _, tie, c, _, _ = heapq.heappop(heap)
                r = rho_of(c)
                if r is not None:
                    heapq.heappush(heap, (r[0], tie, c, r, rnd))
            if not heap:
                break
            rho, tie, w, (_, rho_slope, left, paid_slope, U), _ = heapq.heappop(heap)
            for other_rho, other_tie, _, other, _ in heap:
                # the winner must stay first: strictly before a project that would win a tie
                bound.keep(other_rho - rho, other[1] - rho_slope, strict=other_tie < tie)
            selected.append(w)
            rhos.append(rho)
            # charge the supporters: the new common denominators are U * D and U * DS
            if uniform:
                pairs = [(k, cost[w]) for k in set(map(cls.__getitem__, supp[w]))]
            else:
                pairs = list(set(zip(map(cls.__getitem__, supp[w]), utils[w])))
            B = [b * U for b in B]
            S = [s_ * U for s_ in S]
            D *= U
            DS *= U
            move = {}
            for k, u in pairs:
                move[(k, u)] = len(B)
                after = B[k] - left * u          # (b U - left u) over the new D
                if after >= 0:   # pays rho * u; what is left stays affine (it may be 0 right now)
                    B.append(after)
                    S.append(S[k] + paid_slope * u)
                else:            # pays all she has (and stays so on the interval: strict comparison)
                    B.append(0)
                    S.append(0)
            if uniform:
                u = cost[w]
                moved = {k: move[(k, u)] for k, _ in pairs}
                for i in supp[w]:
                    cls[i] = moved[cls[i]]
            else:
                for i, u in zip(supp[w], utils[w]):
                    cls[i] = move[(cls[i], u)]
            rnd += 1
        return EqualSharesRun(e0, selected, rhos, sum(cost[c] for c in selected), self,
                              valid_until=bound.result())


_ZERO = Fraction(0)


class _Bound:
    """The largest endowment up to which every recorded comparison keeps its sign.

    A comparison is an affine function f(E) = value + slope * (E - E0) that must stay >= 0 (or
    > 0 when strict) as E grows from E0; a negative slope makes its root E0 + value / -slope an
    upper bound (excluded when strict)."""

    def __init__(self, e0: Fraction):
        self.e0 = e0
        self.hi_num: int | None = None      # the bound is E0 + hi_num / hi_den
        self.hi_den = 1
        self.closed = True

    def keep(self, value: Fraction, slope: Fraction, *, strict: bool) -> None:
        value, slope = Fraction(value), Fraction(slope)
        self.keep_ratio(value.numerator, slope.numerator, value.denominator, slope.denominator, strict=strict)

    def keep_ratio(self, value: int, slope: int, den: int, slope_den: int, *, strict: bool) -> None:
        """keep() for f = value / den and f' = slope / slope_den (positive denominators), in integers:
        the root is E0 + (value * slope_den) / (-slope * den)."""
        if slope >= 0:
            return
        num, dnm = value * slope_den, -slope * den
        if self.hi_num is None or num * self.hi_den < self.hi_num * dnm:
            self.hi_num, self.hi_den, self.closed = num, dnm, not strict
        elif strict and num * self.hi_den == self.hi_num * dnm:
            self.closed = False

    def result(self) -> tuple[Fraction | None, bool]:
        if self.hi_num is None:
            return None, False
        return self.e0 + Fraction(self.hi_num, self.hi_den), self.closed
