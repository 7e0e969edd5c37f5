"""Forms of the equality body's area: publishing an opinion, the committee's response, the public
list's filters. The subject of an opinion is one select ("version:12", "project:5",
"theme:disability"), parsed here; services.equality checks it against the commune."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.admin.validators import TOO_LONG, PlainText
from blueprints.labels import EQUALITY_THEME_NAMES, OPINION_SUBJECT_NAMES, VERSION_STATUS_NAMES
from services import equality, formatting


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def parse_subject(value: str | None) -> tuple[str, int | None, str | None]:
    """("version", 12, None), ("project", 5, None), ("theme", None, "disability") or ("", None, None)."""
    kind, _sep, rest = (value or "").partition(":")
    if kind in ("version", "project") and rest.isdigit() and len(rest) < 10:
        return kind, int(rest), None
    if kind == "theme" and rest in equality.THEMES:
        return kind, None, rest
    return "", None, None


class OpinionForm(FlaskForm):
    subject = SelectField(_l("What the opinion answers"), validate_choice=False, validators=[
        DataRequired(message=_l("Choose what the opinion answers: a programme version, a project or a "
                                "thematic plan."))])
    plan_title = StringField(_l("Title of the thematic plan or document answered"), filters=[_strip], validators=[
        Length(max=equality.PLAN_TITLE_MAX, message=TOO_LONG), PlainText()])
    title = StringField(_l("Title of the opinion"), filters=[_strip], validators=[
        DataRequired(message=_l("Give the opinion a title.")),
        Length(max=equality.TITLE_MAX, message=TOO_LONG), PlainText()])
    body = TextAreaField(_l("The opinion"), filters=[_strip], validators=[
        DataRequired(message=_l("Write the opinion.")),
        Length(min=equality.BODY_MIN, message=_l("Write at least %(min)d characters: an opinion gives its reasons.")),
        Length(max=equality.BODY_MAX, message=TOO_LONG), PlainText()])
    recommendations = TextAreaField(_l("Recommendations (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=equality.RECOMMENDATIONS_MAX, message=TOO_LONG), PlainText()])
    supersedes_id = SelectField(_l("Correction of an earlier opinion (optional)"), validate_choice=False)

    def setup(self, versions, projects, earlier, generic_title) -> "OpinionForm":
        groups = {kind: str(name) for kind, name in OPINION_SUBJECT_NAMES.items()}
        choices = [SelectChoice("", _l("Choose…"))]
        for v in versions:
            choices.append(SelectChoice(f"version:{v.id}", _l("Version %(n)s of the programme (%(status)s)",
                                                              n=v.number, status=VERSION_STATUS_NAMES[v.status]),
                                        optgroup=groups["version"]))
        for p in projects:
            choices.append(SelectChoice(f"project:{p.id}", f"{p.code} — {p.title}", optgroup=groups["project"]))
        for code, name in EQUALITY_THEME_NAMES.items():
            choices.append(SelectChoice(f"theme:{code}", name, optgroup=groups["theme"]))
        self.subject.choices = choices
        self.supersedes_id.choices = [SelectChoice("", _l("None: a new opinion"))] + [
            SelectChoice(str(o.id), _l("%(title)s, given on %(date)s", title=o.title or generic_title(o),
                                       date=formatting.date(o.given_on))) for o in earlier]
        return self

    def validate_plan_title(self, field):
        if parse_subject(self.subject.data)[0] == "theme" and not field.data:
            raise ValidationError(_l("Give the title of the plan or document the opinion answers."))

    def validate_supersedes_id(self, field):
        if field.data and not (field.data.isdigit() and len(field.data) < 10):
            raise ValidationError(_l("This opinion does not exist."))

    def to_input(self) -> equality.OpinionInput:
        kind, target, theme = parse_subject(self.subject.data)
        return equality.OpinionInput(
            subject_kind=kind, version_id=target if kind == "version" else None,
            project_id=target if kind == "project" else None, theme=theme, plan_title=self.plan_title.data or "",
            title=self.title.data or "", body=self.body.data or "", recommendations=self.recommendations.data or "",
            supersedes_id=int(self.supersedes_id.data) if (self.supersedes_id.data or "").isdigit() else None)


class ResponseForm(FlaskForm):
    response = TextAreaField(_l("The committee's response"), filters=[_strip], validators=[
        DataRequired(message=_l("Write the committee's response.")),
        Length(min=equality.RESPONSE_MIN, message=_l("Write at least %(min)d characters: the response gives the "
                                                     "committee's reasons.")),
        Length(max=equality.RESPONSE_MAX, message=TOO_LONG), PlainText()])


class FilterForm(FlaskForm):
    """The public list's GET filters; unknown values are dropped, never reach SQL."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Subject"), validate_choice=False)
    theme = SelectField(_l("Theme"), validate_choice=False)

    def setup(self) -> "FilterForm":
        self.kind.choices = [SelectChoice("", _l("All subjects"))] + [
            SelectChoice(k, v) for k, v in OPINION_SUBJECT_NAMES.items()]
        self.theme.choices = [SelectChoice("", _l("All themes"))] + [
            SelectChoice(k, v) for k, v in EQUALITY_THEME_NAMES.items()]
        for f in (self.kind, self.theme):
            if f.data not in {c.value for c in f.choices}:
                f.data = ""
        return self
