"""Typed SQLAlchemy 2.0 models, one module per aggregate. No request access here."""
from models.association import ActivityField, Association, AssociationRepresentative, Presence
from models.committee import (
    CommitteeMember,
    Criterion,
    CriterionKind,
    CriterionLevel,
    MemberKind,
    RankingOverride,
    Recusal,
    RoundProject,
    RoundStatus,
    Score,
    ScoringRound,
)
from models.commune import Axis, Commune, Neighbourhood, Phase, PhaseKind, Plan
from models.idea import (
    PUBLIC_STATUSES,
    AssociationSupport,
    Comment,
    Idea,
    IdeaStatus,
    Stance,
    Support,
)
from models.programme import (
    VISA_DAYS,
    AxisCap,
    BudgetEnvelope,
    EntryState,
    ExecutionReport,
    ExecutionStatus,
    Milestone,
    ProgrammeEntry,
    ProgrammeVersion,
    ScheduleLine,
    VersionStatus,
)
from models.equality import EqualityOpinion, EqualityTheme, OpinionSubject
from models.project import (
    SDG_GOALS,
    Competence,
    Marker,
    Project,
    ProjectIdea,
    ProjectIndicator,
    ProjectNeighbourhood,
    ProjectPartner,
)
from models.moderation import AuditEntry, Notification, Report, ReportReason, TargetKind
from models.mail import DigestStatus, MailDigest, MailOutbox, MailSettings
from models.password_reset import PasswordResetToken
from models.privacy import PrivacySettings, RetentionPeriod
from models.petition import Petition, PetitionSignature, PetitionState, RefusalGround
from models.support_round import BallotKind, SupportBallot, SupportRound, SupportRoundProject
from models.user import STAFF_ROLES, DepartedIdentity, Membership, Role, User, UserSession

__all__ = [
    "CommitteeMember", "Criterion", "CriterionKind", "CriterionLevel", "MemberKind", "RankingOverride",
    "Recusal", "RoundProject", "RoundStatus", "Score", "ScoringRound",
    "SDG_GOALS", "Competence", "Marker", "Project", "ProjectIdea", "ProjectIndicator",
    "ProjectNeighbourhood", "ProjectPartner",
    "ActivityField", "Association", "AssociationRepresentative", "Presence",
    "Axis", "Commune", "Neighbourhood", "Phase", "PhaseKind", "Plan",
    "PUBLIC_STATUSES", "AssociationSupport", "Comment", "Idea", "IdeaStatus", "Stance", "Support",
    "AuditEntry", "Notification", "Report", "ReportReason", "TargetKind",
    "PrivacySettings", "RetentionPeriod",
    "Petition", "PetitionSignature", "PetitionState", "RefusalGround",
    "VISA_DAYS", "AxisCap", "BudgetEnvelope", "EntryState", "EqualityOpinion", "ExecutionReport",
    "ExecutionStatus", "Milestone", "ProgrammeEntry", "ProgrammeVersion", "ScheduleLine", "VersionStatus",
    "BallotKind", "SupportBallot", "SupportRound", "SupportRoundProject",
    "STAFF_ROLES", "DepartedIdentity", "Membership", "Role", "User", "UserSession",
    "DigestStatus", "MailDigest", "MailOutbox", "MailSettings", "PasswordResetToken",
    "EqualityTheme", "OpinionSubject",
]
