"""Forms of the personal-data area: deleting one's account, the commune's privacy settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, PasswordField, SelectChoice, SelectMultipleField, StringField, TelField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, PlainText, WholeNumberField
from services import personal_data, retention


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=1024, message=_l("This password is too long."))])
    # Asked only of people with a second factor (staff); checked by the service.
    code = StringField(_l("6-digit code"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[Optional(), Length(max=16, message=_l("Enter the 6 digits shown in your authenticator app."))])
    remove_content = BooleanField(_l("Also remove my ideas and comments (their text is erased and they are hidden)"))
    confirm = BooleanField(_l("I understand that my account cannot be recovered once deleted"), validators=[
        DataRequired(_l("Tick this box to confirm that you want to delete your account."))])


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(label, max_length, required_message=None):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=max_length, message=TOO_LONG), PlainText()])


class PrivacySettingsForm(FlaskForm):
    """The commune's privacy settings. One field per retention kind is added by `settings_form()`."""

    cndp_reference = StringField(_l("CNDP declaration or authorisation reference"), validators=[
        DataRequired(_l("Enter the CNDP declaration or authorisation reference.")),
        Length(max=120, message=TOO_LONG), PlainText()])
    contact_email = EmailField(_l("The commune's contact e-mail address"), validators=[
        Optional(), Length(max=254, message=TOO_LONG), PlainText()])
    controller_address = StringField(_l("Postal address of the commune (the data controller)"), validators=[
        DataRequired(_l("Enter the commune's postal address.")),
        Length(max=personal_data.MAX_ADDRESS, message=TOO_LONG), PlainText()])
    dpo_name = StringField(_l("Data-protection point (service or person)"), validators=[
        DataRequired(_l("Name the service or person people can write to.")),
        Length(max=personal_data.MAX_DPO_NAME, message=TOO_LONG), PlainText()])
    dpo_email = EmailField(_l("Its e-mail address"), validators=[
        Optional(), Length(max=254, message=TOO_LONG), PlainText()])
    dpo_phone = TelField(_l("Its phone number"), validators=[Optional(), Length(max=20, message=TOO_LONG), PlainText()])
    recipients = CheckboxList(_l("Who receives the data"), choices=[
        SelectChoice(code, labels.PRIVACY_RECIPIENT_NAMES[code]) for code in personal_data.RECIPIENTS], validate_choice=False)
    purposes_ar = _text(_l("Purposes, in Arabic"), personal_data.MAX_TEXT, _l("Write the purposes in Arabic at least."))
    purposes_fr = _text(_l("Purposes, in French"), personal_data.MAX_TEXT)
    purposes_zgh = _text(_l("Purposes, in Amazigh (Tifinagh)"), personal_data.MAX_TEXT)
    rights_ar = _text(_l("How to exercise one's rights, in Arabic"), personal_data.MAX_TEXT)
    rights_fr = _text(_l("How to exercise one's rights, in French"), personal_data.MAX_TEXT)
    rights_zgh = _text(_l("How to exercise one's rights, in Amazigh (Tifinagh)"), personal_data.MAX_TEXT)

    def retention_fields(self):
        return [(kind, self[f"retention_{kind.code}"]) for kind in retention.kinds()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for kind, field in self.retention_fields():
            if field.errors:
                continue
            if field.data is None:
                field.errors = [_l("Enter a number of months.")]
                ok = False
            elif not kind.minimum <= field.data <= kind.maximum:
                field.errors = [_l("Enter a whole number of months from %(min)d to %(max)d.",
                                   min=kind.minimum, max=kind.maximum)]
                ok = False
        unknown = [r for r in (self.recipients.data or []) if r not in personal_data.RECIPIENTS]
        if unknown:
            self.recipients.errors = [_l("Choose recipients from the list.")]
            ok = False
        return ok


def settings_form(**kwargs) -> PrivacySettingsForm:
    """The form with one field per retention kind registered now (areas register theirs at import)."""
    fields = {f"retention_{kind.code}": WholeNumberField(kind.label) for kind in retention.kinds()}
    form_class = type("PrivacySettingsFormWithPeriods", (PrivacySettingsForm,), fields)
    return form_class(**kwargs)
