"""Forms of the execution follow-up: a project's report for one year, a milestone, the year chooser.

Numbers keep exactly what was typed (so a refused form shows it back) and are parsed into
`.number`; services.execution checks every rule again (range, reasons, done ⇒ 100 %).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, LocalDateField, PlainText
from blueprints.projects.forms import MoneyField, WholeField
from services import execution

PERCENT_MESSAGE = _l("Enter the progress as a whole number from 0 to 100.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PercentField(WholeField):
    message = PERCENT_MESSAGE


class ReportForm(FlaskForm):
    status = SelectField(
        _l("Status"), choices=[SelectChoice(k, v) for k, v in labels.EXECUTION_STATUS_NAMES.items()],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the status from the list.")),
                    AnyOf(list(execution.STATUSES), message=_l("Choose the status from the list."))])
    percent_complete = PercentField(_l("Progress (percent complete)"), filters=[_strip])
    amount_spent = MoneyField(_l("Amount spent in this year (dirhams)"), filters=[_strip])
    delay_causes = TextAreaField(_l("Causes of delay (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=execution.TEXT_MAX, message=TOO_LONG), PlainText()])
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[
        Optional(), Length(max=execution.TEXT_MAX, message=TOO_LONG), PlainText()])

    def to_input(self) -> execution.ReportInput:
        return execution.ReportInput(
            status=self.status.data, percent_complete=getattr(self.percent_complete, "number", None),
            amount_spent=getattr(self.amount_spent, "number", None),
            delay_causes=self.delay_causes.data or "", reason=self.reason.data or "")


def report_data(data: execution.ReportInput) -> dict:
    """Form values for a stored report (or a blank one)."""
    return {"status": data.status,
            "percent_complete": "" if data.percent_complete is None else str(data.percent_complete),
            "amount_spent": "" if data.amount_spent is None else str(data.amount_spent),
            "delay_causes": data.delay_causes, "reason": data.reason}


class MilestoneForm(FlaskForm):
    year = HiddenField()  # the report page to come back to
    happened_on = LocalDateField(_l("Date"), validators=[
        DataRequired(message=_l("Enter the date of the milestone."))])
    label = StringField(_l("What happened"), filters=[_strip], validators=[
        DataRequired(message=_l("Say in a few words what happened.")),
        Length(max=execution.LABEL_MAX, message=TOO_LONG), PlainText()])
    photo = FileField(_l("Photo (optional: JPEG, PNG or WebP, at most 2 MB)"))
    photo_alt = StringField(_l("Description of the photo"), filters=[_strip], validators=[
        Optional(), Length(max=execution.ALT_MAX, message=TOO_LONG), PlainText()])

    def photo_bytes(self) -> bytes | None:
        upload = self.photo.data
        if upload is None or not hasattr(upload, "read"):
            return None
        # Read at most one byte more than allowed: the service names the size problem.
        return upload.read(execution.PHOTO_MAX + 1) or None

    def to_input(self) -> execution.MilestoneInput:
        return execution.MilestoneInput(happened_on=self.happened_on.data, label=self.label.data or "",
                                        photo=self.photo_bytes(), photo_alt=self.photo_alt.data or "")


class YearForm(FlaskForm):
    """The overview's GET year chooser; unknown years fall back to the default."""

    class Meta:
        csrf = False

    year = SelectField(_l("Year"), validate_choice=False)
