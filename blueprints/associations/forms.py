"""Forms of the associations area."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectChoice, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, LocalDateField, PlainText
from models import ActivityField, Presence
from services.associations import ADDRESS_MAX, DESCRIPTION_MAX, NAME_MAX, RECEIPT_MAX

_PRESENCE = _l("Choose whether the association has its seat or a branch in the commune.")
_FIELD = _l("Choose the field of activity.")


class AssociationForm(FlaskForm):
    """An association's profile request. Status, verification and representatives are never taken from the form."""

    name = StringField(_l("Name of the association"), validators=[
        DataRequired(message=_l("Enter the association's name.")), Length(max=NAME_MAX, message=TOO_LONG), PlainText()])
    receipt_number = StringField(_l("Number of the registration receipt"), validators=[
        DataRequired(message=_l("Enter the number of the registration receipt.")),
        Length(max=RECEIPT_MAX, message=TOO_LONG), PlainText()])
    founded_on = LocalDateField(_l("Founding date"), validators=[InputRequired(message=_l("Enter the founding date."))])
    presence = RadioField(
        _l("Presence in the commune"),
        choices=[SelectChoice(p.value, labels.PRESENCE_NAMES[p.value]) for p in Presence],
        validate_choice=False,
        validators=[InputRequired(message=_PRESENCE), AnyOf([p.value for p in Presence], message=_PRESENCE)])
    address = StringField(_l("Address in the commune"), validators=[
        DataRequired(message=_l("Enter the address in the commune.")), Length(max=ADDRESS_MAX, message=TOO_LONG),
        PlainText()])
    field = SelectField(
        _l("Field of activity"),
        choices=[SelectChoice("", _l("Choose a field"))]
        + [SelectChoice(f.value, labels.FIELD_NAMES[f.value]) for f in ActivityField],
        validate_choice=False,
        validators=[InputRequired(message=_FIELD), AnyOf([f.value for f in ActivityField], message=_FIELD)])
    contact_email = EmailField(_l("Contact e-mail address"), validators=[
        Optional(), Length(max=254, message=TOO_LONG), PlainText()])
    contact_phone = TelField(_l("Contact phone number"), validators=[
        Optional(), Length(max=20, message=TOO_LONG), PlainText()])
    description = TextAreaField(_l("Description (optional)"), validators=[
        Optional(), Length(max=DESCRIPTION_MAX, message=TOO_LONG), PlainText()])


class RepresentativeForm(FlaskForm):
    identifier = StringField(_l("E-mail address or phone number of the new representative's account"), validators=[
        DataRequired(message=_l("Enter the e-mail address or phone number of the account.")),
        Length(max=254, message=TOO_LONG), PlainText()])
