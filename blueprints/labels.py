"""Translated labels for the values stored as codes (phases, roles, statuses, stances, reasons)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from services import text

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
    "bureau": _l("Council bureau (petitions)"),
    "equality": _l("Equality body member (IEECAG)"),
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

TEXT_PROBLEMS = text.TEXT_PROBLEMS  # what services.text.problem_with codes mean

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
    "second_factor_reset": _l("An administrator (%(admin)s) reset your second factor: set it up again with "
                              "your authenticator app at your next sign-in."),
    "role_revoked": _l("Your role “%(role)s” was removed."),
}

# Audit log actions (services.audit.record); unknown codes are shown as they are.
AUDIT_ACTION_NAMES = {
    "account.second_factor_reset": _l("Second factor reset by its owner"),
    "account.second_factor_reset_by_admin": _l("Second factor reset by an administrator"),
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
    # `flask commune create` / `flask admin create` (services/communes.py; no signed-in actor)
    "commune.create": _l("Commune and its action plan created"),
    "account.create_admin": _l("Administrator account created"),
}

# --- the committee's members and criteria (blueprints/committee) ---------------------------------

MEMBER_KIND_NAMES = {
    "commune": _l("Commune"),
    "undp": _l("UNDP"),
    "observer": _l("Observer (equality body)"),
}

CRITERION_KIND_NAMES = {
    "scored": _l("Scored by the members"),
    "support": _l("Citizen support (computed)"),
}

AUDIT_ACTION_NAMES.update({
    "committee.member_appointed": _l("Committee member appointed"),
    "committee.chair_set": _l("Committee chair appointed"),
    "committee.member_removed": _l("Committee member removed"),
    "committee.criterion_created": _l("Criterion created"),
    "committee.criterion_changed": _l("Criterion changed"),
    "committee.criterion_deleted": _l("Criterion deleted"),
})

# --- scoring rounds (blueprints/rounds) -------------------------------------------------------------

ROUND_STATUS_NAMES = {
    "draft": _l("Draft"),
    "open": _l("Open for scoring"),
    "closed": _l("Closed"),
    "published": _l("Published"),
}

AUDIT_ACTION_NAMES.update({
    "committee.round_created": _l("Scoring round created"),
    "committee.round_projects_set": _l("Projects of a scoring round changed"),
    "committee.round_opened": _l("Scoring round opened"),
    "committee.round_closed": _l("Scoring round closed"),
    "committee.scores_saved": _l("Scores saved"),
    "committee.recusal_declared": _l("Conflict of interest declared"),
})

# --- ranking (blueprints/ranking) ------------------------------------------------------------------

AUDIT_ACTION_NAMES.update({
    "committee.override": _l("Project moved against the computed ranking, with a justification"),
    "committee.round_published": _l("Ranking of a round published"),
})

# --- projects: the PAC project sheet (blueprints/projects) -----------------------------------------

COMPETENCE_NAMES = {
    "own": _l("Own competence of the commune"),
    "shared": _l("Competence shared with the State"),
    "transferred": _l("Competence transferred by the State"),
}

# Policy markers: 0 not targeted, 1 significant objective, 2 principal objective.
MARKER_NAMES = {
    0: _l("Not targeted"),
    1: _l("Significant objective"),
    2: _l("Principal objective"),
}

MARKER_FIELD_NAMES = {
    "marker_gender": _l("Gender equality"),
    "marker_environment": _l("Environment and climate"),
    "marker_accessibility": _l("Accessibility"),
}

# The short official names of the 17 UN Sustainable Development Goals.
SDG_NAMES = {
    1: _l("No poverty"),
    2: _l("Zero hunger"),
    3: _l("Good health and well-being"),
    4: _l("Quality education"),
    5: _l("Gender equality"),
    6: _l("Clean water and sanitation"),
    7: _l("Affordable and clean energy"),
    8: _l("Decent work and economic growth"),
    9: _l("Industry, innovation and infrastructure"),
    10: _l("Reduced inequalities"),
    11: _l("Sustainable cities and communities"),
    12: _l("Responsible consumption and production"),
    13: _l("Climate action"),
    14: _l("Life below water"),
    15: _l("Life on land"),
    16: _l("Peace, justice and strong institutions"),
    17: _l("Partnerships for the goals"),
}

# %(code)s is the project's code, %(title)s its title in the reader's language.
NOTIFICATION_TEXTS["idea_in_project"] = _l(
    "The committee made your idea part of the project %(code)s “%(title)s”.")
NOTIFICATION_TEXTS.update({
    "idea_ranked": _l("The project %(code)s “%(title)s”, made from your idea, was ranked %(rank)s by the committee."),
    "idea_in_programme": _l("The project %(code)s “%(title)s”, made from your idea, entered the adopted programme "
                            "(from %(year)s)."),
    "idea_progress": _l("The project %(code)s “%(title)s”, made from your idea, made progress: %(percent)s%% done "
                        "in %(year)s."),
    "petition_threshold": _l("The petition “%(title)s” that you signed reached the number of signatures needed."),
    "petition_filed": _l("The petition “%(title)s” was filed with the commune (receipt %(number)s)."),
    "petition_answered": _l("The commune's bureau answered the petition “%(title)s”."),
    "petition_agent": _l("You were named the agent of the petition “%(title)s”: you follow it and file it "
                         "with the commune."),
    "equality_response": _l("The committee responded to the equality body's opinion “%(title)s”."),
})

AUDIT_ACTION_NAMES.update({
    "committee.project_created": _l("Project created"),
    "committee.project_changed": _l("Project sheet changed"),
    "committee.project_ideas_linked": _l("Ideas added to a project"),
    "committee.project_idea_unlinked": _l("Idea removed from a project"),
})

# --- execution follow-up (blueprints/execution) ----------------------------------------------------

EXECUTION_STATUS_NAMES = {
    "not_started": _l("Not started"),
    "studies": _l("Studies"),
    "tendering": _l("Tendering"),
    "works": _l("Works under way"),
    "done": _l("Done"),
    "blocked": _l("Blocked"),
    "dropped": _l("Dropped"),
}

AUDIT_ACTION_NAMES.update({
    "execution.report_saved": _l("Execution report saved"),
    "execution.milestone_added": _l("Milestone added"),
    "execution.milestone_deleted": _l("Milestone deleted"),
})

# --- participatory-budget rules on support rounds (blueprints/pbrules) ---------------------------

PB_RULE_NAMES = {
    "greedy": _l("Greedy by votes"),
    "greedy-no-skip": _l("Greedy, stopping at the first project that does not fit"),
    "greedy-threshold": _l("Greedy above a vote threshold"),
    "mes": _l("Equal Shares"),
    "mes-add1": _l("Equal Shares with completion"),
    "mes-add1-comparison": _l("Equal Shares with completion, compared with greedy"),
}

PB_RULE_HINTS = {
    "greedy": _l("Funds the projects with the most votes first, skipping those that no longer fit in the budget."),
    "greedy-no-skip": _l("Like greedy, but stops at the first project that does not fit."),
    "greedy-threshold": _l("Like greedy, among the projects that reach the vote threshold only."),
    "mes": _l("Gives every voter an equal share of the budget; a project is funded when its supporters can pay "
              "for it together, the projects they share most first."),
    "mes-add1": _l("Equal Shares, then each voter's share is raised one dirham at a time while the funded "
                   "projects still fit in the budget."),
    "mes-add1-comparison": _l("Keeps the Equal Shares outcome unless more voters prefer the greedy one."),
}

PB_VOTE_TYPE_NAMES = {
    "approval": _l("Approval (each voter names the projects they support)"),
    "choose-1": _l("One project per voter"),
    "cumulative": _l("Points shared out by each voter"),
    "scoring": _l("Scores"),
    "ordinal": _l("Rankings"),
}

AUDIT_ACTION_NAMES.update({
    "committee.support_round_created": _l("Support round built from residents' supports"),
})

# --- the committee's programme: envelopes, versions, the council's decision (blueprints/programme) --

VERSION_STATUS_NAMES = {
    "draft": _l("Draft"),
    "proposed": _l("Proposed to the council"),
    "adopted": _l("Adopted by the council"),
    "superseded": _l("Superseded by a revision"),
}

# Why the builder skipped a project. %(year)s a year, %(amount)s an amount in MAD, %(end)s the plan's last year.
SKIP_REASONS = {
    "envelope": _l("does not fit the %(year)s envelope: %(amount)s short"),
    "axis_cap": _l("does not fit the %(year)s cap of its axis: %(amount)s short"),
    "ends_after_plan": _l("would end after %(end)s"),
    "starts_after_plan": _l("cannot start before %(year)s, after the plan ends"),
    "participatory_share": _l("chosen by residents but does not fit the %(year)s participatory share: %(amount)s short"),
}

AUDIT_ACTION_NAMES.update({
    "programme.envelopes_saved": _l("Budget envelopes saved"),
    "programme.version_built": _l("Programme version built from a ranking"),
    "programme.entry_pinned": _l("Project pinned to a year of the programme, with a justification"),
    "programme.entry_moved": _l("Project moved to another year of the programme, with a justification"),
    "programme.entry_unpinned": _l("Project unpinned in the programme, with a justification"),
    "programme.entry_dropped": _l("Project dropped from the programme, with a justification"),
    "programme.entry_restored": _l("Project restored to the programme, with a justification"),
    "programme.schedule_edited": _l("Yearly schedule of a project changed"),
    "programme.version_proposed": _l("Programme version proposed to the council"),
    "programme.version_adopted": _l("Council's adoption of a programme version recorded"),
    "programme.visa_recorded": _l("Governor's visa recorded"),
    "programme.revision_started": _l("Mid-term revision of the programme started"),
    "programme.opinion_recorded": _l("Equality body's opinion recorded"),
})

# --- petitions to the council (blueprints/petitions) ---------------------------------------------

PETITION_STATE_NAMES = {
    "draft": _l("Draft"),
    "collecting": _l("Collecting signatures"),
    "threshold_reached": _l("Enough signatures"),
    "filed": _l("Filed with the commune"),
    "admissible": _l("Admissible: on the council's agenda"),
    "refused": _l("Refused by the bureau"),
    "withdrawn": _l("Withdrawn"),
}

REFUSAL_GROUND_NAMES = {
    "outside_competence": _l("Outside the council's competences"),
    "constitutional_constants": _l("Touches the constitutional constants"),
    "conditions_not_met": _l("The legal conditions are not met"),
}

AUDIT_ACTION_NAMES.update({
    "petition.filed": _l("Petition filed (receipt given)"),
    "petition.admissible": _l("Petition declared admissible and referred to a committee"),
    "petition.refused": _l("Petition refused, with reasons"),
})

# --- the equality body's opinions (blueprints/equality) -------------------------------------------

EQUALITY_THEME_NAMES = {
    "gender": _l("Gender equality"),
    "inclusion": _l("Social inclusion"),
    "disability": _l("Disability"),
    "youth": _l("Youth"),
    "heritage": _l("Heritage"),
}

OPINION_SUBJECT_NAMES = {
    "version": _l("Programme versions"),
    "project": _l("Projects"),
    "theme": _l("Thematic plans"),
}

AUDIT_ACTION_NAMES.update({
    "equality.opinion_published": _l("Equality body's opinion published"),
    "equality.response_recorded": _l("Committee's response to an equality body's opinion recorded"),
})

# --- notifications by e-mail (blueprints/me: notification settings, services/mailer.py) ---------

MAIL_GROUP_NAMES = {
    "moderation": _l("Moderators reviewed, hid or restored my idea or comment"),
    "idea_project": _l("My idea became part of a project"),
    "idea_ranked": _l("A project made from my idea was ranked"),
    "idea_programme": _l("A project made from my idea entered the adopted programme"),
    "idea_progress": _l("A project made from my idea made progress"),
    "petitions": _l("News of petitions I signed"),
    "comment_replies": _l("Replies to my comments"),
    "associations": _l("My associations were verified or I was named their representative"),
    "equality": _l("The committee responded to the equality body's opinions"),
}

# --- personal data under law 09-08 (blueprints/privacy, services/personal_data.py) ---------------

PRIVACY_RECIPIENT_NAMES = {
    "commune_services": _l("The commune's services in charge of the action plan"),
    "joint_committee": _l("The joint committee of the commune and the UN Development Programme (UNDP), which ranks projects"),
    "council": _l("The commune council and its bureau"),
    "equality_body": _l("The equality body (IEECAG), for its opinions"),
    "processor": _l("Whoever hosts and runs the platform, only on the commune's behalf and under a written contract"),
}

AUDIT_ACTION_NAMES.update({
    "account.delete": _l("Account deleted"),
    "privacy.update": _l("Privacy settings changed"),
    "retention.apply": _l("Expired personal data purged"),
})
