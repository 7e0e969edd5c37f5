"""Forms of the moderation area: a person's report, and a moderator's decision."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, PlainText
from models import ReportReason
from services.moderation import ACTIONS, NOTE_MAX, REASON_MAX

_CHOOSE_REASON = _l("Choose a reason from the list.")


class ReportForm(FlaskForm):
    reason = RadioField(
        _l("Why are you reporting this?"),
        choices=[SelectChoice(r.value, labels.REPORT_REASON_NAMES[r.value]) for r in ReportReason],
        validate_choice=False,
        validators=[InputRequired(message=_CHOOSE_REASON),
                    AnyOf([r.value for r in ReportReason], message=_CHOOSE_REASON)],
    )
    note = TextAreaField(
        _l("Details for the moderators (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX, message=TOO_LONG), PlainText()],
    )


class DecisionForm(FlaskForm):
    """One form per queue item (prefixed "<kind>-<id>-"): the reason and the chosen action's button."""

    action = SelectField(
        _l("Decision"), choices=[SelectChoice(a, a) for a in ACTIONS], validate_choice=False,
        validators=[InputRequired(message=_l("Choose an action.")),
                    AnyOf(list(ACTIONS), message=_l("Choose an action."))],
    )
    reason = TextAreaField(
        _l("Reason (sent to the author and kept in the log; required except to accept)"),
        validators=[Optional(), Length(max=REASON_MAX, message=TOO_LONG), PlainText()],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.action.data != "accept" and not (self.reason.data or "").strip():
            self.reason.errors = [_l("Give a reason: it is sent to the author and kept in the log.")]
            return False
        return ok
