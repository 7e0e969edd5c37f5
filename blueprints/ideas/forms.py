"""Forms of the ideas area: proposing/editing an idea, the list filters, comments, association choice.

Every message is translated and shown next to its field. Select fields validate
against the choices given by the view (no trust in posted ids) and never coerce
in a way that raises; the services check the same rules again.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.labels import STANCE_NAMES, TEXT_PROBLEMS
from services import ideas as idea_service
from services.comments import BODY_MAX
from services.text import problem_with


def _choice_values(field) -> set[str]:
    return {c.value for c in field.choices}


def _options(first_label, items) -> list[SelectChoice]:
    return [SelectChoice("", first_label)] + [SelectChoice(str(item.id), item.name) for item in items]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PlainText:
    """Refuse bidi controls, control characters and markup (services.text.problem_with)."""

    def __call__(self, form, field):
        problem = problem_with(field.data or "")
        if problem:
            raise ValidationError(TEXT_PROBLEMS[problem])


class IdChoice:
    """The value must be the id of one of the field's choices (given by the view)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data or field.data not in _choice_values(field):
            raise ValidationError(self.message)


def as_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# Western and Arabic-Indic digits, with spaces (incl. no-break and thin) as thousands separators.
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def parse_cost(raw: str | None) -> int | None:
    """Whole dirhams from what was typed; ValueError with a code if it is not one.

    Dots and commas are refused rather than guessed: "1.500" is 1.5 in one habit and
    1500 in another, and a wrong guess would be stored silently.
    """
    text = _SPACES.sub("", (raw or "").translate(_ARABIC_DIGITS))
    if not text:
        return None
    if re.fullmatch(r"-\d+([.,]\d+)?", text):
        raise ValueError("negative")
    if re.fullmatch(r"\d+([.,]\d+)+", text):
        raise ValueError("separator")
    if not (text.isascii() and text.isdigit()):
        raise ValueError("number")
    if len(text.lstrip("0")) > len(str(idea_service.COST_MAX)):
        raise ValueError("too_large")  # and int() never sees thousands of digits
    value = int(text)
    if value > idea_service.COST_MAX:
        raise ValueError("too_large")
    return value


COST_MESSAGES = {
    "negative": _l("The cost cannot be negative."),
    "separator": _l("Write whole dirhams with digits only, without dots, commas or centimes (for example 250000)."),
    "number": _l("Enter the cost in digits only, for example 250000."),
    "too_large": _l("The cost cannot be more than 10,000,000,000 dirhams."),
}


class CostField(StringField):
    """An optional amount in whole dirhams; keeps what was typed when it is refused."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.amount = None
        self.problem = None
        try:
            self.amount = parse_cost(self.data)
        except ValueError as exc:
            self.problem = str(exc)

    def pre_validate(self, form):
        if getattr(self, "problem", None):
            raise ValidationError(COST_MESSAGES[self.problem])


class IdeaForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give your idea a title.")),
            Length(max=idea_service.TITLE_MAX, message=_l("Use at most %(max)d characters.")),
            PlainText(),
        ],
        render_kw={"maxlength": idea_service.TITLE_MAX, "dir": "auto", "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Describe your idea.")),
            Length(max=idea_service.DESCRIPTION_MAX, message=_l("Use at most %(max)d characters.")),
            PlainText(),
        ],
        render_kw={"maxlength": idea_service.DESCRIPTION_MAX, "dir": "auto", "rows": 8},
    )
    axis_id = SelectField(
        _l("Axis of the plan"),
        validate_choice=False,
        validators=[IdChoice(_l("Choose one of the plan's axes."))],
    )
    neighbourhood_id = SelectField(
        _l("Neighbourhood"),
        validate_choice=False,
        validators=[IdChoice(_l("Choose one of the commune's neighbourhoods."))],
    )
    location_text = StringField(
        _l("Where exactly (optional)"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=idea_service.LOCATION_MAX, message=_l("Use at most %(max)d characters.")),
            PlainText(),
        ],
        render_kw={"maxlength": idea_service.LOCATION_MAX, "dir": "auto"},
    )
    estimated_cost = CostField(
        _l("Rough cost in dirhams (optional)"),
        filters=[_strip],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "dir": "ltr"},
    )
    association_id = SelectField(_l("Propose in the name of"), validate_choice=False)
    save_draft = SubmitField(_l("Keep as draft"))
    submit_idea = SubmitField(_l("Submit the idea"))

    def setup(self, axes, hoods, associations) -> "IdeaForm":
        """Fill the choices from the commune's data (the only ids the form accepts)."""
        self.axis_id.choices = _options(_l("Choose an axis"), axes)
        self.neighbourhood_id.choices = _options(_l("Choose a neighbourhood"), hoods)
        self.association_id.choices = _options(_l("In my own name"), associations)
        return self

    def validate_association_id(self, field):
        if field.data and field.data not in _choice_values(field):
            raise ValidationError(_l("You do not represent this association."))

    def to_input(self) -> idea_service.IdeaInput:
        return idea_service.IdeaInput(
            title=self.title.data or "",
            description=self.description.data or "",
            axis_id=as_int(self.axis_id.data),
            neighbourhood_id=as_int(self.neighbourhood_id.data),
            location_text=self.location_text.data or None,
            estimated_cost=getattr(self.estimated_cost, "amount", None),
            association_id=as_int(self.association_id.data),
        )


class FilterForm(FlaskForm):
    """The list's GET filters. Unknown values are dropped (never reach SQL)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), filters=[_strip], render_kw={"dir": "auto", "maxlength": 100})
    axis = SelectField(_l("Axis"), validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    sort = SelectField(_l("Sort by"), validate_choice=False)

    def setup(self, axes, hoods) -> "FilterForm":
        self.axis.choices = _options(_l("All axes"), axes)
        self.neighbourhood.choices = _options(_l("All neighbourhoods"), hoods)
        self.status.choices = [
            SelectChoice("", _l("All")),
            SelectChoice("submitted", _l("Submitted")),
            SelectChoice("accepted", _l("Accepted")),
        ]
        self.sort.choices = [
            SelectChoice("supports", _l("Most supported")),
            SelectChoice("newest", _l("Newest")),
            SelectChoice("comments", _l("Most discussed")),
        ]
        # Drop anything that is not one of the choices: it is shown as "all" and ignored.
        for f in (self.axis, self.neighbourhood, self.status, self.sort):
            if f.data not in _choice_values(f):
                f.data = f.choices[0].value
        self.q.data = (self.q.data or "")[:100]
        return self

    def filters(self) -> idea_service.Filters:
        return idea_service.Filters(
            axis_id=as_int(self.axis.data),
            neighbourhood_id=as_int(self.neighbourhood.data),
            status=self.status.data or None,
            q=self.q.data or "",
            sort=self.sort.data or idea_service.DEFAULT_SORT,
        )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Write your comment.")),
            Length(max=BODY_MAX, message=_l("Use at most %(max)d characters.")),
            PlainText(),
        ],
        render_kw={"maxlength": BODY_MAX, "dir": "auto", "rows": 4},
    )
    stance = RadioField(
        _l("Your position on the idea"),
        choices=[SelectChoice(k, v) for k, v in STANCE_NAMES.items()],
        validate_choice=False,
        validators=[DataRequired(message=_l("Say whether you are for, neutral or against."))],
    )
    parent_id = HiddenField()
    association_id = SelectField(_l("Comment in the name of"), validate_choice=False)

    def setup(self, associations) -> "CommentForm":
        self.association_id.choices = _options(_l("In my own name"), associations)
        return self

    def validate_stance(self, field):
        if field.data not in STANCE_NAMES:
            raise ValidationError(_l("Say whether you are for, neutral or against."))

    def validate_parent_id(self, field):
        if field.data and not field.data.isdigit():
            raise ValidationError(_l("The comment you are replying to does not exist or was hidden."))

    def validate_association_id(self, field):
        if field.data and field.data not in _choice_values(field):
            raise ValidationError(_l("You do not represent this association."))


class AssociationForm(FlaskForm):
    """Support or withdraw in an association's name: which association (checked by the service)."""

    association_id = HiddenField(validators=[DataRequired()])
