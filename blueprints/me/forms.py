"""Forms of a person's own space: which notifications also come by e-mail."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from blueprints import labels
from services.notifications import MAIL_GROUPS


class MailSettingsForm(FlaskForm):
    """One checkbox per group of notifications (services.notifications.MAIL_GROUPS), all off by default."""

    def chosen(self) -> list[str]:
        return [code for code in MAIL_GROUPS if self[code].data]

    def group_fields(self):
        return [self[code] for code in MAIL_GROUPS]


for _code in MAIL_GROUPS:
    setattr(MailSettingsForm, _code, BooleanField(labels.MAIL_GROUP_NAMES[_code]))
