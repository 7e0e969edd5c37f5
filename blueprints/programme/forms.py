"""Forms of the committee's programme area. Envelopes and yearly schedules have one field per year
(and per axis): they are read from the request by the views and checked by services.programme;
these forms carry the rest (and the CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints.admin.validators import TOO_LONG, LocalDateField, PlainText
from blueprints.labels import PB_RULE_NAMES
from blueprints.projects.forms import WholeField
from services import programme

_VOTES = _l("Enter the number of votes as a whole number of 0 or more.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


ACTION_NAMES = {
    "pin": _l("Pin to a start year (or move it to another year)"),
    "unpin": _l("Unpin: let the builder choose the year"),
    "drop": _l("Drop from the programme"),
    "restore": _l("Restore a dropped project"),
}


class BuildForm(FlaskForm):
    round_id = SelectField(_l("Published ranking"), validate_choice=False,
                           validators=[DataRequired(message=_l("Choose the published ranking to build from."))])
    # The participatory share: residents' choices from one of the plan's support rounds (optional)
    support_round_id = SelectField(_l("Residents' choices for the participatory share (support round)"),
                                   validate_choice=False)
    rule = SelectField(_l("Rule that turns residents' supports into choices"), validate_choice=False,
                       choices=[SelectChoice(k, v) for k, v in PB_RULE_NAMES.items()],
                       default=programme.DEFAULT_SHARE_RULE)


class EntryForm(FlaskForm):
    """One per project on the version page (ids made unique with `unique_ids`); posted names are
    plain: action, year, justification."""

    action = SelectField(_l("What to do"), validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in ACTION_NAMES.items()],
                         validators=[DataRequired(message=_l("Choose what to do with the project."))])
    year = SelectField(_l("Start year (to pin or move)"), validate_choice=False)
    justification = TextAreaField(_l("Justification"), filters=[_strip], validators=[
        DataRequired(message=_l("Write why: the justification is kept with the programme and in the audit log.")),
        Length(min=programme.JUSTIFICATION_MIN,
               message=_l("Write at least %(min)d characters: the justification is kept with the programme.")),
        Length(max=programme.JUSTIFICATION_MAX, message=TOO_LONG), PlainText()])


class VotesField(WholeField):
    message = _VOTES


class AdoptionForm(FlaskForm):
    session_date = LocalDateField(_l("Date of the council's session"), validators=[
        DataRequired(message=_l("Enter the date of the council's session."))])
    decision_reference = StringField(_l("Reference of the decision"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the reference of the council's decision.")),
        Length(max=programme.REFERENCE_MAX, message=TOO_LONG), PlainText()])
    votes_for = VotesField(_l("Votes for"), filters=[_strip], validators=[DataRequired(message=_VOTES)])
    votes_against = VotesField(_l("Votes against"), filters=[_strip], validators=[DataRequired(message=_VOTES)])
    votes_abstaining = VotesField(_l("Abstentions"), filters=[_strip], validators=[DataRequired(message=_VOTES)])

    def to_input(self) -> programme.AdoptionInput:
        return programme.AdoptionInput(
            session_date=self.session_date.data, decision_reference=self.decision_reference.data or "",
            votes_for=getattr(self.votes_for, "number", None), votes_against=getattr(self.votes_against, "number", None),
            votes_abstaining=getattr(self.votes_abstaining, "number", None))


class VisaForm(FlaskForm):
    visa_date = LocalDateField(_l("Date of the governor's visa"), validators=[
        DataRequired(message=_l("Enter the date of the governor's visa."))])


class OpinionForm(FlaskForm):
    body = TextAreaField(_l("The opinion"), filters=[_strip], validators=[
        DataRequired(message=_l("Write the opinion.")),
        Length(max=programme.OPINION_MAX, message=TOO_LONG), PlainText()])
    signed_by = StringField(_l("Signed by"), filters=[_strip], validators=[
        DataRequired(message=_l("Say who signed the opinion.")),
        Length(max=programme.SIGNED_BY_MAX, message=TOO_LONG), PlainText()])
    given_on = LocalDateField(_l("Date the opinion was given"), validators=[
        DataRequired(message=_l("Enter the date the opinion was given."))])

    def to_input(self) -> programme.OpinionInput:
        return programme.OpinionInput(body=self.body.data or "", signed_by=self.signed_by.data or "",
                                      given_on=self.given_on.data)


def unique_ids(form: FlaskForm, suffix: str) -> FlaskForm:
    """Give every field of one of several same-named forms on a page its own id (labels follow)."""
    for f in form:
        if f.type in ("CSRFTokenField",):
            continue
        f.id = f"{f.name}-{suffix}"
        f.label.field_id = f.id
    return form
