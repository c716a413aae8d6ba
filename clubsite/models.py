"""Every model module, imported in one place so metadata (and Alembic) sees all tables."""

from clubsite.locations import Location
from clubsite.privacy.audit import AuditEvent, AuditHead
from clubsite.staff.models import LoginThrottle, SetupToken, StaffSession, StaffUser

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Location",
    "LoginThrottle",
    "SetupToken",
    "StaffSession",
    "StaffUser",
]
