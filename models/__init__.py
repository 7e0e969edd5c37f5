"""Typed SQLAlchemy 2.0 models, one module per aggregate. No request access here."""
from models.association import ActivityField, Association, AssociationRepresentative, Presence
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
from models.moderation import AuditEntry, Notification, Report, ReportReason, TargetKind
from models.user import STAFF_ROLES, Membership, Role, User, UserSession

__all__ = [
    "ActivityField", "Association", "AssociationRepresentative", "Presence",
    "Axis", "Commune", "Neighbourhood", "Phase", "PhaseKind", "Plan",
    "PUBLIC_STATUSES", "AssociationSupport", "Comment", "Idea", "IdeaStatus", "Stance", "Support",
    "AuditEntry", "Notification", "Report", "ReportReason", "TargetKind",
    "STAFF_ROLES", "Membership", "Role", "User", "UserSession",
]
