"""Every model module, imported in one place so metadata (and Alembic) sees all tables."""

from clubsite.locations import Location
from clubsite.members.models import (
    ConsentEvent,
    ConsentWording,
    ErasureJournal,
    Member,
    MemberNameToken,
    MemberPurpose,
    Suppression,
)
from clubsite.privacy.audit import AuditEvent, AuditHead
from clubsite.registers.models import SubjectRequest
from clubsite.staff.models import LoginThrottle, SetupToken, StaffSession, StaffUser

__all__ = [
    "ConsentEvent",
    "ConsentWording",
    "ErasureJournal",
    "Member",
    "MemberNameToken",
    "MemberPurpose",
    "Suppression",
    "AuditEvent",
    "AuditHead",
    "Location",
    "LoginThrottle",
    "SetupToken",
    "StaffSession",
    "StaffUser",
    "SubjectRequest",
]
