"""The explanations of prioritization.rules_explain as sentences in the reader's language.

Every sentence is one gettext message with placeholders; amounts go through services.formatting
(the |mad and |number filters), exact fractions rounded for reading."""
from __future__ import annotations

from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import ngettext

from prioritization.rules_explain import ProjectWhy
from services import formatting
from services.pb_rounds import Comparison, RuleColumn

VOTE_BALLOTS = ("approval", "choose-1")


def amount(value: int | Fraction | None, currency: str = "MAD") -> str:
    """Money, rounded: whole units from 10 up, cents below."""
    if value is None:
        return ""
    value = Fraction(value)
    shown: int | float = round(value) if value >= 10 or value.denominator == 1 else round(float(value), 2)
    if currency == "MAD":
        return formatting.mad(shown)
    return _("%(amount)s %(currency)s", amount=formatting.number(shown), currency=currency)


def number(value: int | Fraction | None) -> str:
    if value is None:
        return ""
    value = Fraction(value)
    return formatting.number(int(value) if value.denominator == 1 else round(float(value), 2))


def project_sentence(why: ProjectWhy, comparison: Comparison) -> str:
    money = lambda v: amount(v, comparison.currency)  # noqa: E731
    votes_ballots = comparison.vote_type in VOTE_BALLOTS
    reason = why.reason
    if reason == "selected":
        if votes_ballots:
            return ngettext("Funded: %(num)s vote, cost %(cost)s, fitted in what was left (%(left)s).",
                            "Funded: %(num)s votes, cost %(cost)s, fitted in what was left (%(left)s).",
                            why.votes, cost=money(why.cost), left=money(why.left))
        return _("Funded: score %(score)s, cost %(cost)s, fitted in what was left (%(left)s).",
                 score=number(why.score), cost=money(why.cost), left=money(why.left))
    if reason == "no_room":
        return _("Not funded: its cost, %(cost)s, was more than what was left (%(left)s) when its turn came.",
                 cost=money(why.cost), left=money(why.left))
    if reason == "threshold":
        if votes_ballots:
            return ngettext("Not funded: %(num)s vote, below the threshold of %(threshold)s.",
                            "Not funded: %(num)s votes, below the threshold of %(threshold)s.",
                            why.votes, threshold=number(why.threshold))
        return _("Not funded: a score of %(score)s, below the threshold of %(threshold)s.",
                 score=number(why.score), threshold=number(why.threshold))
    if reason == "after_stop":
        return _("Not considered: the rule stopped at project %(project)s, which did not fit.",
                 project=why.stopped_at)
    if reason == "bought":
        same_price = votes_ballots and why.paid_in_full == why.payers
        if same_price:
            return ngettext(
                "Funded in round %(round)s: its %(num)s supporter could pay its %(cost)s (%(each)s).",
                "Funded in round %(round)s: its %(num)s supporters could pay its %(cost)s together "
                "(%(each)s each).",
                why.payers, round=why.round, cost=money(why.cost), each=money(why.price))
        return ngettext(
            "Funded in round %(round)s: its %(num)s supporter could pay its %(cost)s (up to %(each)s).",
            "Funded in round %(round)s: its %(num)s supporters could pay its %(cost)s together "
            "(up to %(each)s each; some paid all they had left).",
            why.payers, round=why.round, cost=money(why.cost), each=money(why.price))
    if reason == "unaffordable":
        return _("Not funded: its supporters had only %(money)s left together, it costs %(cost)s.",
                 money=money(why.supporters_money), cost=money(why.cost))
    if reason == "no_supporters":
        return _("Not funded: nobody supported it.")
    if reason == "free":
        return _("Not funded: it costs nothing, and Equal Shares only funds projects that have a cost.")
    return ""


def column_note(column: RuleColumn, comparison: Comparison) -> str:
    """One sentence about the rule's run as a whole (Equal Shares shares, the comparison step)."""
    money = lambda v: amount(v, comparison.currency)  # noqa: E731
    if column.unavailable == "needs_utilities":
        return _("Not computed: Equal Shares needs supports or points, and this round has rankings.")
    if column.unavailable:
        return _("Not computed for this round.")
    if column.kept == "mes":
        return _("The Equal Shares outcome was kept: %(mes)s voters prefer it, %(greedy)s prefer the greedy one.",
                 mes=number(column.prefer_mes), greedy=number(column.prefer_greedy))
    if column.kept == "greedy":
        return _("The greedy outcome was kept: %(greedy)s voters prefer it, %(mes)s prefer Equal Shares.",
                 mes=number(column.prefer_mes), greedy=number(column.prefer_greedy))
    if column.increase:
        return _("Each voter's share was raised from %(base)s to %(share)s, while the funded projects still fit "
                 "in the budget.", base=money(column.base_endowment), share=money(column.endowment))
    if column.endowment is not None:
        return _("Each voter's share of the budget: %(share)s.", share=money(column.endowment))
    return ""
