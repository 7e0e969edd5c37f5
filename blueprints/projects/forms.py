"""Forms of the projects area: the project sheet, adding ideas by number, the public list's filters.

Number fields keep exactly what was typed (so a refused form shows it back) and parse it
into `.number`; services.projects checks every rule again, sums and years included.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints import labels
from blueprints.admin.validators import TOO_LONG, PlainText, Tifinagh
from models import SDG_GOALS
from services import projects as project_service

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")

WHOLE_MESSAGE = _l("Enter a whole number of 0 or more, with digits only, for example 2500.")
MONEY_MESSAGE = _l("Write whole dirhams with digits only, without dots, commas or centimes (for example 250000).")
MEASURE_MESSAGE = _l("Enter a number, for example 12 or 12.5.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _digits(raw: str | None) -> str:
    return _SPACES.sub("", (raw or "").translate(_ARABIC_DIGITS))


class WholeField(StringField):
    """An optional whole number ≥ 0 ("12 500" and Arabic-Indic digits accepted) in `.number`."""

    message = WHOLE_MESSAGE

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.number, self.problem = None, False
        text = _digits(self.data)
        if not text:
            return
        if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 15:
            self.number = int(text)
        else:
            self.problem = True

    def pre_validate(self, form):
        if getattr(self, "problem", False):
            raise ValidationError(self.message)


class MoneyField(WholeField):
    message = MONEY_MESSAGE


class MeasureField(StringField):
    """An optional number with up to two decimals ("12,5" or "12.5") in `.number`."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.number, self.problem = None, False
        text = _digits(self.data).replace(",", ".")
        if not text:
            return
        if not re.fullmatch(r"-?\d{1,14}(\.\d{1,2})?", text):
            self.problem = True
            return
        try:
            self.number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
            self.problem = True

    def pre_validate(self, form):
        if getattr(self, "problem", False):
            raise ValidationError(MEASURE_MESSAGE)


def _number(field):
    return getattr(field, "number", None)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


class IndicatorRow(Form):
    label = StringField(_l("Indicator"), filters=[_strip], validators=[
        Optional(), Length(max=project_service.INDICATOR_LABEL_MAX, message=TOO_LONG), PlainText()])
    unit = StringField(_l("Unit"), filters=[_strip], validators=[
        Optional(), Length(max=project_service.INDICATOR_UNIT_MAX, message=TOO_LONG), PlainText()])
    baseline = MeasureField(_l("Baseline"), filters=[_strip])
    target = MeasureField(_l("Target"), filters=[_strip])


class PartnerRow(Form):
    name = StringField(_l("Partner"), filters=[_strip], validators=[
        Optional(), Length(max=project_service.PARTNER_NAME_MAX, message=TOO_LONG), PlainText()])
    amount = MoneyField(_l("Amount in dirhams"), filters=[_strip])


def _title(label, required_message, *extra):
    return StringField(label, filters=[_strip], validators=[
        DataRequired(message=required_message), Length(max=project_service.TITLE_MAX, message=TOO_LONG),
        PlainText(), *extra])


def _marker(label):
    return RadioField(label, choices=[SelectChoice(str(k), v) for k, v in labels.MARKER_NAMES.items()],
                      default="0", validate_choice=False)


class ProjectForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter a code, for example TET-07.")),
        Length(max=project_service.CODE_MAX, message=TOO_LONG)])
    title_ar = _title(_l("Title in Arabic"), _l("Enter the title in Arabic."))
    title_fr = _title(_l("Title in French"), _l("Enter the title in French."))
    title_zgh = _title(_l("Title in Amazigh (Tifinagh)"), _l("Enter the title in Amazigh (Tifinagh)."), Tifinagh())
    axis_id = SelectField(_l("Axis of the plan"), validate_choice=False)
    neighbourhood_ids = SelectMultipleField(_l("Neighbourhoods"), validate_choice=False)
    sector = StringField(_l("Sector (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=project_service.SECTOR_MAX, message=TOO_LONG), PlainText()])
    competence = RadioField(
        _l("Commune competence it relies on"),
        choices=[SelectChoice(k, v) for k, v in labels.COMPETENCE_NAMES.items()],
        default="own", validate_choice=False)
    objectives = TextAreaField(_l("Objectives"), filters=[_strip], validators=[
        Optional(), Length(max=project_service.OBJECTIVES_MAX, message=TOO_LONG), PlainText()])
    beneficiaries_total = WholeField(_l("Beneficiaries in total"), filters=[_strip])
    beneficiaries_women = WholeField(_l("of whom women"), filters=[_strip])
    beneficiaries_men = WholeField(_l("of whom men"), filters=[_strip])
    beneficiaries_disabled = WholeField(_l("of whom persons with disabilities"), filters=[_strip])
    indicators = FieldList(FormField(IndicatorRow), min_entries=project_service.MAX_INDICATORS,
                           max_entries=project_service.MAX_INDICATORS)
    partners = FieldList(FormField(PartnerRow), min_entries=project_service.MAX_PARTNERS,
                         max_entries=project_service.MAX_PARTNERS)
    total_cost = MoneyField(_l("Total cost in dirhams"), filters=[_strip])
    commune_share = MoneyField(_l("Commune's share in dirhams"), filters=[_strip])
    duration_years = SelectField(_l("Duration in years"), validate_choice=False,
                                 choices=[SelectChoice(str(n), str(n)) for n in range(1, 7)])
    earliest_start_year = SelectField(_l("Earliest start year"), validate_choice=False)
    executing_department = StringField(_l("Executing department (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=project_service.DEPARTMENT_MAX, message=TOO_LONG), PlainText()])
    sdgs = SelectMultipleField(_l("Sustainable Development Goals"), validate_choice=False,
                               choices=[SelectChoice(str(n), labels.SDG_NAMES[n]) for n in SDG_GOALS])
    marker_gender = _marker(labels.MARKER_FIELD_NAMES["marker_gender"])
    marker_environment = _marker(labels.MARKER_FIELD_NAMES["marker_environment"])
    marker_accessibility = _marker(labels.MARKER_FIELD_NAMES["marker_accessibility"])

    def setup(self, axes, hoods, plan) -> "ProjectForm":
        """Choices from the commune's data and the plan's years (the only values accepted)."""
        self.axis_id.choices = [SelectChoice("", _l("Choose an axis"))] + [
            SelectChoice(str(a.id), a.name) for a in axes]
        self.neighbourhood_ids.choices = [SelectChoice(str(h.id), h.name) for h in hoods]
        self.earliest_start_year.choices = [
            SelectChoice(str(y), str(y)) for y in range(plan.start_year, plan.end_year + 1)]
        return self

    # Choice fields: a posted value outside the choices gets a message, not a crash.
    def validate_axis_id(self, field):
        if field.data not in {c.value for c in field.choices} or not field.data:
            raise ValidationError(_l("Choose one of the plan's axes."))

    def validate_neighbourhood_ids(self, field):
        if not set(field.data or ()) <= {c.value for c in field.choices}:
            raise ValidationError(_l("Choose the neighbourhoods from the commune's list."))

    def validate_competence(self, field):
        if field.data not in labels.COMPETENCE_NAMES:
            raise ValidationError(_l("Choose the commune's competence from the list."))

    def validate_duration_years(self, field):
        if field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("The duration is a whole number of years from 1 to 6."))

    def validate_earliest_start_year(self, field):
        if field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose a year of the plan."))

    def validate_sdgs(self, field):
        if not set(field.data or ()) <= {c.value for c in field.choices}:
            raise ValidationError(_l("Choose the goals from the list of the 17 Sustainable Development Goals."))

    def validate_total_cost(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the total cost in dirhams."))

    def validate_commune_share(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the commune's share in dirhams."))

    def _validate_marker(self, field):
        if field.data not in ("0", "1", "2"):
            raise ValidationError(_l("Choose 0, 1 or 2."))

    validate_marker_gender = validate_marker_environment = validate_marker_accessibility = _validate_marker

    def row_fields(self):
        """Every field of the sheet by its name as services.projects names it (indicators-0-label…)."""
        named = dict(self._fields)
        for rows in (self.indicators, self.partners):
            for entry in rows:
                for sub in entry.form:
                    named[sub.name] = sub
        return named

    def to_input(self) -> project_service.ProjectInput:
        return project_service.ProjectInput(
            code=self.code.data or "", title_ar=self.title_ar.data or "", title_fr=self.title_fr.data or "",
            title_zgh=self.title_zgh.data or "", axis_id=_int(self.axis_id.data),
            neighbourhood_ids=[int(v) for v in self.neighbourhood_ids.data or () if _int(v) is not None],
            sector=self.sector.data or "", competence=self.competence.data or "",
            objectives=self.objectives.data or "",
            beneficiaries_total=_number(self.beneficiaries_total),
            beneficiaries_women=_number(self.beneficiaries_women),
            beneficiaries_men=_number(self.beneficiaries_men),
            beneficiaries_disabled=_number(self.beneficiaries_disabled),
            indicators=[project_service.IndicatorInput(e.form.label.data or "", e.form.unit.data or "",
                                                       _number(e.form.baseline), _number(e.form.target))
                        for e in self.indicators],
            partners=[project_service.PartnerInput(e.form.name.data or "", _number(e.form.amount))
                      for e in self.partners],
            total_cost=_number(self.total_cost), commune_share=_number(self.commune_share),
            duration_years=_int(self.duration_years.data), earliest_start_year=_int(self.earliest_start_year.data),
            executing_department=self.executing_department.data or "",
            sdgs=[int(v) for v in self.sdgs.data or () if _int(v) is not None],
            marker_gender=_int(self.marker_gender.data), marker_environment=_int(self.marker_environment.data),
            marker_accessibility=_int(self.marker_accessibility.data),
        )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def form_data(data: project_service.ProjectInput) -> dict:
    """A ProjectInput (an existing project, or the defaults of a new one) as the form's starting values."""
    return {
        "code": data.code, "title_ar": data.title_ar, "title_fr": data.title_fr, "title_zgh": data.title_zgh,
        "axis_id": _text(data.axis_id), "neighbourhood_ids": [str(i) for i in data.neighbourhood_ids],
        "sector": data.sector, "competence": data.competence, "objectives": data.objectives,
        "beneficiaries_total": _text(data.beneficiaries_total),
        "beneficiaries_women": _text(data.beneficiaries_women),
        "beneficiaries_men": _text(data.beneficiaries_men),
        "beneficiaries_disabled": _text(data.beneficiaries_disabled),
        "indicators": [{"label": i.label, "unit": i.unit, "baseline": _text(i.baseline), "target": _text(i.target)}
                       for i in data.indicators],
        "partners": [{"name": p.name, "amount": _text(p.amount)} for p in data.partners],
        "total_cost": _text(data.total_cost), "commune_share": _text(data.commune_share),
        "duration_years": _text(data.duration_years), "earliest_start_year": _text(data.earliest_start_year),
        "executing_department": data.executing_department, "sdgs": [str(s) for s in data.sdgs],
        "marker_gender": _text(data.marker_gender), "marker_environment": _text(data.marker_environment),
        "marker_accessibility": _text(data.marker_accessibility),
    }


class LinkIdeasForm(FlaskForm):
    numbers = StringField(_l("Numbers of the ideas to add"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the number of at least one idea.")), Length(max=300, message=TOO_LONG)])

    def validate_numbers(self, field):
        text = (field.data or "").translate(_ARABIC_DIGITS)
        if not re.fullmatch(r"[\d\s,;#\u060c]*", text) or not re.search(r"\d", text):
            raise ValidationError(_l("Write the ideas' numbers separated by commas or spaces, for example 12, 15."))
        self.ids = [int(n) for n in re.findall(r"\d{1,9}", text)]


class ProjectFilterForm(FlaskForm):
    """The public list's GET filters; unknown values are dropped, never reach SQL."""

    class Meta:
        csrf = False

    axis = SelectField(_l("Axis"), validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), validate_choice=False)

    def setup(self, axes, hoods) -> "ProjectFilterForm":
        self.axis.choices = [SelectChoice("", _l("All axes"))] + [SelectChoice(str(a.id), a.name) for a in axes]
        self.neighbourhood.choices = [SelectChoice("", _l("All neighbourhoods"))] + [
            SelectChoice(str(h.id), h.name) for h in hoods]
        for f in (self.axis, self.neighbourhood):
            if f.data not in {c.value for c in f.choices}:
                f.data = ""
        return self
