"""The form that builds the platform's support round from residents' supports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField

from services.pb_rounds import BAD_BUDGET, BUDGET_MAX

# Spaces people type between thousands (ordinary, no-break, narrow no-break).
_GROUPING = str.maketrans("", "", " \u00a0\u202f")


class BudgetField(IntegerField):
    """Whole dirhams; empty = None (the participatory share of the envelopes). "1 200 000" is read
    as 1200000 and Arabic-Indic digits as digits; decimals and signs are refused."""

    def process_formdata(self, valuelist):
        text = str(valuelist[0]).translate(_GROUPING) if valuelist else ""
        if not text:
            self.data = None
            return
        self.data = None
        if not text.isdecimal():
            raise ValueError(str(BAD_BUDGET))
        self.data = int(text)


class PlatformRoundForm(FlaskForm):
    budget = BudgetField(_l("Budget to share out (MAD)"))

    def validate_budget(self, field):
        from wtforms.validators import ValidationError

        if field.data is not None and not 0 < field.data <= BUDGET_MAX:
            raise ValidationError(BAD_BUDGET)
