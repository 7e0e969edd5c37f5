"""Forms of the committee area: appointing a member, and a criterion with its six levels."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, PlainText, Tifinagh, WholeNumberField
from services import criteria
from services.committee import MEMBER_KINDS, ORGANISATION_MAX
from services.communes import NAME_MAX
from services.errors import ServiceError


class AppointForm(FlaskForm):
    identifier = StringField(_l("E-mail address or phone number of the account"), validators=[
        DataRequired(message=_l("Enter the e-mail address or phone number of the account.")),
        Length(max=254, message=TOO_LONG), PlainText()])
    kind = SelectField(
        _l("Kind of member"),
        choices=[SelectChoice("", _l("Choose a kind"))]
        + [SelectChoice(k, labels.MEMBER_KIND_NAMES[k]) for k in MEMBER_KINDS],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the kind of member from the list.")),
                    AnyOf(list(MEMBER_KINDS), message=_l("Choose the kind of member from the list."))],
    )
    organisation = StringField(_l("Organisation (optional)"), validators=[
        Optional(), Length(max=ORGANISATION_MAX, message=TOO_LONG), PlainText()])


# Destructive actions ask for an explicit tick: removing a member, deleting a criterion.
class RemoveMemberForm(FlaskForm):
    confirm = BooleanField(_l("Yes, remove this person from the committee"), validators=[
        DataRequired(message=_l("Tick the box to confirm."))])


class DeleteCriterionForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this criterion and the descriptions of its levels"), validators=[
        DataRequired(message=_l("Tick the box to confirm."))])


class Weight:
    """The weight stays as typed (so a refused form shows it back); services.criteria parses it."""

    def __call__(self, form, field):
        try:
            criteria.parse_weight(field.data)
        except ServiceError as exc:
            raise ValidationError(str(exc.message)) from None


class CriterionForm(FlaskForm):
    """A criterion; the level fields (`level<N>_<lang>`) are added below, 0…5 × ar/fr/zgh."""

    code = StringField(_l("Code"), validators=[
        DataRequired(message=_l("Enter a code, for example social-impact.")),
        Length(max=criteria.CODE_MAX, message=TOO_LONG)])
    name_ar = StringField(_l("Name in Arabic"), validators=[
        DataRequired(message=_l("Enter the name in Arabic.")), Length(max=NAME_MAX, message=TOO_LONG), PlainText()])
    name_fr = StringField(_l("Name in French"), validators=[
        DataRequired(message=_l("Enter the name in French.")), Length(max=NAME_MAX, message=TOO_LONG), PlainText()])
    name_zgh = StringField(_l("Name in Amazigh (Tifinagh)"), validators=[
        DataRequired(message=_l("Enter the name in Amazigh (Tifinagh).")), Length(max=NAME_MAX, message=TOO_LONG),
        PlainText(), Tifinagh()])
    description_ar = TextAreaField(_l("Description in Arabic"), validators=[
        Optional(), Length(max=criteria.DESCRIPTION_MAX, message=TOO_LONG), PlainText()])
    description_fr = TextAreaField(_l("Description in French"), validators=[
        Optional(), Length(max=criteria.DESCRIPTION_MAX, message=TOO_LONG), PlainText()])
    description_zgh = TextAreaField(_l("Description in Amazigh"), validators=[
        Optional(), Length(max=criteria.DESCRIPTION_MAX, message=TOO_LONG), PlainText()])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k, labels.CRITERION_KIND_NAMES[k]) for k in criteria.KINDS],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the kind of criterion from the list.")),
                    AnyOf(list(criteria.KINDS), message=_l("Choose the kind of criterion from the list."))],
    )
    weight = StringField(_l("Weight"), validators=[
        DataRequired(message=criteria.WEIGHT_MESSAGE), Length(max=20, message=TOO_LONG), Weight()])
    position = WholeNumberField(_l("Position in the list"), validators=[Optional()])

    def level_rows(self):
        """[(level, ar field, fr field, zgh field)] for 0…5."""
        return [(n, self[f"level{n}_ar"], self[f"level{n}_fr"], self[f"level{n}_zgh"]) for n in criteria.LEVELS]

    def as_input(self) -> criteria.CriterionInput:
        return criteria.CriterionInput(
            code=self.code.data, name_ar=self.name_ar.data, name_fr=self.name_fr.data, name_zgh=self.name_zgh.data,
            kind=self.kind.data, weight=self.weight.data, position=self.position.data,
            description_ar=self.description_ar.data or "", description_fr=self.description_fr.data or "",
            description_zgh=self.description_zgh.data or "",
            levels=[(ar.data or "", fr.data or "", zgh.data or "") for _n, ar, fr, zgh in self.level_rows()],
        )

    def validate_position(self, field):
        if field.data is not None and not (0 <= field.data <= criteria.POSITION_MAX):
            raise ValidationError(_l("Enter a whole number from 0 to %(n)d.", n=criteria.POSITION_MAX))


for _n in criteria.LEVELS:
    for _lang in criteria.LANGS:
        setattr(CriterionForm, f"level{_n}_{_lang}", StringField(
            _l("Level %(n)d in Arabic", n=_n) if _lang == "ar" else
            _l("Level %(n)d in French", n=_n) if _lang == "fr" else _l("Level %(n)d in Amazigh", n=_n),
            validators=[Optional(), Length(max=criteria.LEVEL_MAX, message=TOO_LONG), PlainText()]))


def weight_text(weight: float) -> str:
    """2.0 → "2", 2.5 → "2.5": parse_weight reads it back to the same float."""
    text = repr(float(weight))
    return text[:-2] if text.endswith(".0") else text


def criterion_data(criterion) -> dict:
    """The form's starting values for an existing criterion."""
    data = {
        "code": criterion.code, "name_ar": criterion.name_ar, "name_fr": criterion.name_fr,
        "name_zgh": criterion.name_zgh, "description_ar": criterion.description_ar,
        "description_fr": criterion.description_fr, "description_zgh": criterion.description_zgh,
        "kind": criterion.kind, "weight": weight_text(criterion.weight), "position": criterion.position,
    }
    for level in criterion.levels:
        data[f"level{level.level}_ar"] = level.text_ar
        data[f"level{level.level}_fr"] = level.text_fr
        data[f"level{level.level}_zgh"] = level.text_zgh
    return data
