"""Forms of the ranking area: the chair's justified move of a project."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from blueprints.admin.validators import TOO_LONG, PlainText, WholeNumberField
from services.ranking import JUSTIFICATION_MAX, JUSTIFICATION_MIN

_JUSTIFY = _l("Write why the project is moved: the justification is published with the ranking.")
_TOO_SHORT = _l("Write at least %(min)d characters: the justification is published with the ranking.")


class OverrideForm(FlaskForm):
    """One per project on the page, told apart by the prefix "move-<project id>"."""

    new_rank = WholeNumberField(_l("New rank"), validators=[InputRequired(message=_l("Enter the new rank."))])
    justification = TextAreaField(_l("Justification (published with the ranking)"), validators=[
        DataRequired(message=_JUSTIFY), Length(min=JUSTIFICATION_MIN, message=_TOO_SHORT),
        Length(max=JUSTIFICATION_MAX, message=TOO_LONG), PlainText()])


def override_prefix(project_id: int) -> str:
    return f"move-{project_id}"
