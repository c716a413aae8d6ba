"""Every model module, imported in one place so metadata (and Alembic) sees all tables."""

from clubsite.access.models import CheckIn
from clubsite.bookings.models import Booking, Hall
from clubsite.fees.models import Invoice, InvoiceCounter, Membership, Payment, Plan
from clubsite.jobs.models import JobRun
from clubsite.locations import Location
from clubsite.members.import_files import ImportUpload
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.outbox.models import OutboxMessage
from clubsite.privacy.audit import AuditEvent, AuditHead
from clubsite.privacy.models import (
    ConsentEvent,
    ConsentWording,
    ErasureJournal,
    Member,
    MemberNameToken,
    MemberPurpose,
    Suppression,
)
from clubsite.public.models import UsedToken
from clubsite.registers.models import Breach, Complaint, SubjectRequest
from clubsite.staff.models import (
    LoginThrottle,
    RoleSetting,
    SetupToken,
    StaffSession,
    StaffUser,
)

__all__ = [
    "Delivery",
    "Newsletter",
    "Booking",
    "Hall",
    "CheckIn",
    "Invoice",
    "InvoiceCounter",
    "Membership",
    "Payment",
    "Plan",
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
    "UsedToken",
    "Breach",
    "Complaint",
    "RoleSetting",
    "ImportUpload",
    "JobRun",
    "OutboxMessage",
]
