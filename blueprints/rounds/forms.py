"""Forms of the scoring rounds: a new round, its projects, a conflict of interest, a CSV upload.

The score form itself (six radio buttons per criterion) is read by the view, since its fields
depend on the plan's criteria."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from blueprints.admin.validators import TOO_LONG, PlainText, WholeNumberField
from services.scoring import FILE_MAX_BYTES, MIN_PROJECTS, NAME_MAX, REASON_MAX, TOP_K_DEFAULT, TOP_K_MAX, TOP_K_MIN


class ProjectsForm(FlaskForm):
    """The projects of a round: checkboxes (choices set by the view: the plan's projects)."""

    projects = SelectMultipleField(_l("Projects to score"), coerce=str, validate_choice=False)

    def project_ids(self) -> list[int]:
        return [int(v) for v in self.projects.data or [] if str(v).isdigit()]

    def validate_projects(self, field):
        from wtforms.validators import ValidationError

        known = {str(value) for value, _label in field.choices or []}
        if any(str(v) not in known for v in field.data or []):
            raise ValidationError(_l("Choose projects of this plan from the list."))
        if len(set(field.data or [])) < MIN_PROJECTS:
            raise ValidationError(_l("Choose at least %(n)d projects.", n=MIN_PROJECTS))


class NewRoundForm(ProjectsForm):
    name = StringField(_l("Name of the round"), validators=[
        DataRequired(message=_l("Give the round a name.")), Length(max=NAME_MAX, message=TOO_LONG), PlainText()])
    top_k = WholeNumberField(_l("Size of the top for the sensitivity analysis"), default=TOP_K_DEFAULT, validators=[
        InputRequired(message=_l("Enter a whole number from %(low)d to %(high)d.", low=TOP_K_MIN, high=TOP_K_MAX))])

    def validate_top_k(self, field):
        from wtforms.validators import ValidationError

        if field.data is not None and not TOP_K_MIN <= field.data <= TOP_K_MAX:
            raise ValidationError(_l("Enter a whole number from %(low)d to %(high)d.", low=TOP_K_MIN, high=TOP_K_MAX))


class RecuseForm(FlaskForm):
    reason = TextAreaField(_l("Why you have a conflict of interest (the chair reads it)"), validators=[
        DataRequired(message=_l("Explain the conflict of interest: the chair reads it.")),
        Length(max=REASON_MAX, message=TOO_LONG), PlainText()])


class UploadForm(FlaskForm):
    file = FileField(_l("Your score sheet (CSV file)"), validators=[
        FileRequired(message=_l("Choose the CSV file to upload.")),
        FileAllowed(["csv"], message=_l("Upload a .csv file (in your spreadsheet: “Save as” → CSV).")),
        FileSize(max_size=FILE_MAX_BYTES, message=_l("The file is larger than 1 MB.")),
    ])
