"""Forms of the petitions area. Every message is translated and shown next to its field; the
service (services.petitions) checks the same rules again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, PlainText
from models import ActivityField, Competence, RefusalGround
from services import petitions


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _Among:
    """The value must be one of the field's non-empty choices (no trust in posted values)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data or field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError(self.message)


def as_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class PetitionForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[
        DataRequired(message=_l("Give the petition a title.")),
        Length(max=petitions.TITLE_MAX, message=TOO_LONG), PlainText()],
        render_kw={"maxlength": petitions.TITLE_MAX, "dir": "auto", "autocomplete": "off"})
    request = TextAreaField(_l("What the council should put on its agenda"), filters=[_strip], validators=[
        DataRequired(message=_l("Write what the council should put on its agenda.")),
        Length(min=petitions.TEXT_MIN, message=_l("Write at least %(min)d characters.")),
        Length(max=petitions.REQUEST_MAX, message=TOO_LONG), PlainText()],
        render_kw={"maxlength": petitions.REQUEST_MAX, "dir": "auto", "rows": 5})
    reasons = TextAreaField(_l("Reasons"), filters=[_strip], validators=[
        DataRequired(message=_l("Explain the reasons for the petition.")),
        Length(min=petitions.TEXT_MIN, message=_l("Write at least %(min)d characters.")),
        Length(max=petitions.REASONS_MAX, message=TOO_LONG), PlainText()],
        render_kw={"maxlength": petitions.REASONS_MAX, "dir": "auto", "rows": 8})
    competence = SelectField(
        _l("Council competence it concerns"),
        choices=[SelectChoice("", _l("Choose a competence"))]
        + [SelectChoice(c.value, labels.COMPETENCE_NAMES[c.value]) for c in Competence],
        validate_choice=False,
        validators=[_Among(_l("Choose the council competence the petition concerns."))])
    field = SelectField(
        _l("Field"),
        choices=[SelectChoice("", _l("Choose a field"))]
        + [SelectChoice(f.value, labels.FIELD_NAMES[f.value]) for f in ActivityField],
        validate_choice=False,
        validators=[_Among(_l("Choose the field the petition concerns."))])
    association_id = SelectField(_l("Petition in the name of"), validate_choice=False)

    def setup(self, associations) -> "PetitionForm":
        self.association_id.choices = [SelectChoice("", _l("Residents (with signatures)"))] + [
            SelectChoice(str(a.id), a.name) for a in associations]
        return self

    def validate_association_id(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("You do not represent this association."))

    def to_input(self) -> petitions.PetitionInput:
        return petitions.PetitionInput(
            title=self.title.data, request=self.request.data, reasons=self.reasons.data,
            competence=self.competence.data or None, field=self.field.data or None,
            association_id=as_int(self.association_id.data))


class SignForm(FlaskForm):
    declaration = BooleanField(
        _l("I declare that I live in the commune or have an economic, commercial or professional activity "
           "there, that I meet the conditions for registration on the electoral rolls, and that I share a "
           "direct common interest in this petition."),
        validators=[DataRequired(message=_l("Tick the declaration: only people who meet these conditions may sign."))])
    cin = StringField(_l("National ID number (CIN), if the commune asks for it (optional)"), filters=[_strip],
                      validators=[Optional(), Length(max=20, message=TOO_LONG), PlainText()],
                      render_kw={"maxlength": 20, "dir": "ltr", "autocomplete": "off", "spellcheck": "false"})


class AgentForm(FlaskForm):
    identifier = StringField(_l("E-mail address or phone number of the agent's account"), filters=[_strip],
                             validators=[DataRequired(message=_l(
                                 "Enter the e-mail address or phone number of the agent's account.")),
                                 Length(max=254, message=TOO_LONG), PlainText()],
                             render_kw={"maxlength": 254, "dir": "ltr", "autocomplete": "off"})


class AdmissibleForm(FlaskForm):
    committee = StringField(_l("Standing committee it is referred to"), filters=[_strip], validators=[
        DataRequired(message=_l("Name the standing committee the petition is referred to.")),
        Length(max=petitions.COMMITTEE_MAX, message=TOO_LONG), PlainText()],
        render_kw={"maxlength": petitions.COMMITTEE_MAX, "dir": "auto"})


class RefuseForm(FlaskForm):
    ground = RadioField(
        _l("Ground of the refusal"),
        choices=[SelectChoice(g.value, labels.REFUSAL_GROUND_NAMES[g.value]) for g in RefusalGround],
        validate_choice=False,
        validators=[_Among(_l("Choose the ground of the refusal."))])
    reasons = TextAreaField(_l("Reasons for the refusal"), filters=[_strip], validators=[
        DataRequired(message=_l("Give the reasons for the refusal: a refusal must be reasoned.")),
        Length(min=petitions.TEXT_MIN, message=_l("Write at least %(min)d characters.")),
        Length(max=petitions.REFUSAL_MAX, message=TOO_LONG), PlainText()],
        render_kw={"maxlength": petitions.REFUSAL_MAX, "dir": "auto", "rows": 6})
    delay_explanation = TextAreaField(_l("Explanation of the delay (required after the deadline)"),
                                      filters=[_strip], validators=[
        Optional(), Length(max=petitions.DELAY_MAX, message=TOO_LONG), PlainText()],
        render_kw={"maxlength": petitions.DELAY_MAX, "dir": "auto", "rows": 3})
