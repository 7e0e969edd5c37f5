"""Forms of the commune administration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, LocalDateField, PlainText, Tifinagh, WholeNumberField
from models import PhaseKind
from services.communes import GRANTABLE_ROLES, NAME_MAX, SUPPORT_LIMIT_MAX


class NamesForm(FlaskForm):
    """The official name of an axis or a neighbourhood, in the three languages."""

    name_ar = StringField(_l("Name in Arabic"), validators=[
        DataRequired(message=_l("Enter the name in Arabic.")), Length(max=NAME_MAX, message=TOO_LONG), PlainText()])
    name_fr = StringField(_l("Name in French"), validators=[
        DataRequired(message=_l("Enter the name in French.")), Length(max=NAME_MAX, message=TOO_LONG), PlainText()])
    name_zgh = StringField(_l("Name in Amazigh (Tifinagh)"), validators=[
        DataRequired(message=_l("Enter the name in Amazigh (Tifinagh).")), Length(max=NAME_MAX, message=TOO_LONG),
        PlainText(), Tifinagh()])


class PlanForm(FlaskForm):
    """Dates of each phase (both empty: not scheduled) and the optional support limit.

    The phase fields (`<kind>_start`, `<kind>_end`) are added below, one pair per PhaseKind.
    """

    support_limit = WholeNumberField(_l("Supports per resident for this plan"), validators=[Optional()])

    def phase_pairs(self):
        return [(kind, self[f"{kind}_start"], self[f"{kind}_end"]) for kind in PhaseKind]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for kind, start, end in self.phase_pairs():
            if start.errors or end.errors:
                continue
            if (start.data is None) != (end.data is None):
                missing = start if start.data is None else end
                missing.errors = [_l("Give both the start and the end date, or neither.")]
                ok = False
            elif start.data and end.data and start.data > end.data:
                end.errors = [_l("The end date must be on or after the start date.")]
                ok = False
        limit = self.support_limit
        if not limit.errors and limit.data is not None and not (1 <= limit.data <= SUPPORT_LIMIT_MAX):
            limit.errors = [
                _l("Enter a whole number from 1 to %(n)d, or leave empty for no limit.", n=SUPPORT_LIMIT_MAX)]
            ok = False
        return ok


for _kind in PhaseKind:
    setattr(PlanForm, f"{_kind}_start", LocalDateField(_l("Start"), validators=[Optional()]))
    setattr(PlanForm, f"{_kind}_end", LocalDateField(_l("End"), validators=[Optional()]))


class GrantRoleForm(FlaskForm):
    identifier = StringField(_l("E-mail address or phone number of the account"), validators=[
        DataRequired(message=_l("Enter the e-mail address or phone number of the account.")),
        Length(max=254, message=TOO_LONG), PlainText()])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Choose a role"))]
        + [SelectChoice(r.value, labels.ROLE_NAMES[r.value]) for r in GRANTABLE_ROLES],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose a role from the list.")),
                    AnyOf([r.value for r in GRANTABLE_ROLES], message=_l("Choose a role from the list."))],
    )


class RejectAssociationForm(FlaskForm):
    """Prefixed per association ("a<id>-") since the queue shows one per request."""

    reason = TextAreaField(_l("Reason for rejecting (sent to the representatives)"), validators=[
        DataRequired(message=_l("Give a reason: it is sent to the association's representatives.")),
        Length(max=500, message=TOO_LONG), PlainText()])
