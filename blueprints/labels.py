"""Translated labels for the values stored as codes (phases, roles, statuses, stances, reasons)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PHASE_NAMES = {
    "collection": _l("Idea collection"),
    "support": _l("Support"),
    "assessment": _l("Committee assessment"),
    "drafting": _l("Programme drafting"),
    "adoption": _l("Council adoption"),
    "execution": _l("Execution follow-up"),
}

ROLE_NAMES = {
    "resident": _l("Resident"),
    "association": _l("Association representative"),
    "moderator": _l("Moderator"),
    "committee": _l("Committee member"),
    "admin": _l("Commune administrator"),
}

IDEA_STATUS_NAMES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "rejected": _l("Not admitted"),
}

STANCE_NAMES = {
    "for": _l("For"),
    "neutral": _l("Neutral"),
    "against": _l("Against"),
}

REPORT_REASON_NAMES = {
    "insult": _l("Insult to a person"),
    "sacred": _l("Offends sacred things or religion"),
    "incitement": _l("Racist or sectarian incitement"),
    "spam": _l("Spam or advertising"),
    "off_topic": _l("Off-topic"),
    "personal_data": _l("Reveals personal data"),
}

PRESENCE_NAMES = {
    "seat": _l("Seat in the commune"),
    "branch": _l("Branch in the commune"),
}

FIELD_NAMES = {
    "social": _l("Social action"),
    "women": _l("Women's rights"),
    "youth": _l("Youth"),
    "disability": _l("Persons with disabilities"),
    "environment": _l("Environment"),
    "culture": _l("Culture"),
    "heritage": _l("Heritage"),
    "education": _l("Education"),
    "health": _l("Health"),
    "sport": _l("Sport"),
    "neighbourhood": _l("Neighbourhood development"),
    "economy": _l("Local economy"),
    "other": _l("Other"),
}

TEXT_PROBLEMS = {
    "bidi": _l("Remove the invisible direction-control characters from this text."),
    "control": _l("Remove the invisible control characters from this text."),
    "markup": _l("Write plain text: HTML tags and scripts are not allowed."),
}

# --- moderation, administration, associations, personal space ------------------------------------

# Shown instead of hidden_reason when reports from several people hid an item (services.moderation.AUTO_HIDDEN).
HIDDEN_BY_REPORTS = _l("Hidden automatically after reports from several people, until a moderator reviews it.")

# In-app notifications, rendered in the reader's language from kind + params (services/notifications.py).
# %(title)s / %(idea_title)s is an idea's title, %(name)s an association's name, %(role)s a role name; all shown as typed.
NOTIFICATION_TEXTS = {
    "idea_reviewed": _l("Your idea “%(title)s” was accepted by the moderators. It can no longer be edited."),
    "idea_rejected": _l("Your idea “%(title)s” was not admitted."),
    "idea_hidden": _l("Your idea “%(title)s” was hidden by the moderators."),
    "idea_restored": _l("Your idea “%(title)s” is visible again."),
    "idea_auto_hidden": _l("Your idea “%(title)s” was hidden after reports from several people, until a moderator reviews it."),
    "comment_hidden": _l("Your comment on “%(title)s” was hidden by the moderators."),
    "comment_restored": _l("Your comment on “%(title)s” is visible again."),
    "comment_auto_hidden": _l("Your comment on “%(title)s” was hidden after reports from several people, until a moderator reviews it."),
    "comment_reply": _l("Someone replied to your comment on “%(idea_title)s”."),
    "association_verified": _l("The association “%(name)s” was verified. You can now act in its name."),
    "association_rejected": _l("The association “%(name)s” was not verified."),
    "association_representative_added": _l("You were named a representative of the association “%(name)s”."),
    "role_granted": _l("You were given the role “%(role)s”."),
    "role_revoked": _l("Your role “%(role)s” was removed."),
}

# Audit log actions (services.audit.record); unknown codes are shown as they are.
AUDIT_ACTION_NAMES = {
    "idea.accept": _l("Idea accepted"),
    "idea.reject": _l("Idea rejected"),
    "idea.hide": _l("Idea hidden"),
    "idea.restore": _l("Idea restored"),
    "idea.keep": _l("Idea kept visible, reports closed"),
    "idea.auto_hide": _l("Idea hidden by reports"),
    "comment.hide": _l("Comment hidden"),
    "comment.restore": _l("Comment restored"),
    "comment.keep": _l("Comment kept visible, reports closed"),
    "comment.auto_hide": _l("Comment hidden by reports"),
    "axis.create": _l("Strategic axis created"),
    "axis.update": _l("Strategic axis renamed"),
    "axis.deactivate": _l("Strategic axis deactivated"),
    "axis.activate": _l("Strategic axis reactivated"),
    "neighbourhood.create": _l("Neighbourhood created"),
    "neighbourhood.update": _l("Neighbourhood renamed"),
    "neighbourhood.deactivate": _l("Neighbourhood deactivated"),
    "neighbourhood.activate": _l("Neighbourhood reactivated"),
    "plan.update": _l("Plan calendar or support limit changed"),
    "role.grant": _l("Role granted"),
    "role.revoke": _l("Role removed"),
    "association.verify": _l("Association verified"),
    "association.reject": _l("Association request rejected"),
    "association.representative_add": _l("Association representative added"),
}
