"""Form helpers shared by the moderation, admin, associations and personal-space areas:
plain-text and Tifinagh validators, typed fields with translated messages, and the
mapping of a service's field error back onto the form (so it shows next to the field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField
from wtforms.validators import ValidationError

from blueprints import labels
from services.communes import tifinagh_problem
from services.text import problem_with

REQUIRED = _l("This field is required.")
TOO_LONG = _l("Use at most %(max)d characters.")


class PlainText:
    """Refuse bidi controls, control characters and HTML/script markup (services.text)."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and field.data:
            problem = problem_with(field.data)
            if problem:
                raise ValidationError(labels.TEXT_PROBLEMS[problem])


class Tifinagh:
    def __call__(self, form, field):
        if isinstance(field.data, str) and field.data.strip() and tifinagh_problem(field.data.strip()):
            raise ValidationError(
                _l("Write the Amazigh name in Tifinagh letters (ⴰ ⴱ ⴳ …); spaces, digits and punctuation are allowed.")
            )


class LocalDateField(DateField):
    """A date input whose parse error is one of our translated messages."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a date as year-month-day, e.g. 2026-03-01."))) from None


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a whole number."))) from None


