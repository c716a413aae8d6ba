"""Every model module, imported in one place so metadata (and Alembic) sees all tables."""

from clubsite.access.models import CheckIn
from clubsite.bookings.models import Booking, Hall
from clubsite.fees.bank_models import Mandate, SepaBatch, StatementImport, StatementLine
from clubsite.fees.delivery_models import InvoiceDelivery, InvoiceReminder
from clubsite.fees.models import (
    Invoice,
    InvoiceCounter,
    Membership,
    MembershipPause,
    Payment,
    Plan,
)
from clubsite.jobs.models import JobRun
from clubsite.locations import Location
from clubsite.members.import_files import ImportUpload
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.outbox.models import OutboxMessage
from clubsite.privacy.audit import AuditEvent, AuditHead
from clubsite.privacy.damage import DamagedValue
from clubsite.privacy.models import (
    ConsentEvent,
    ConsentWording,
    ErasureJournal,
    Member,
    MemberNameToken,
    MemberPurpose,
    Suppression,
)
from clubsite.privacy.policy_review import PolicyReview
from clubsite.public.models import UsedToken
from clubsite.registers.models import Breach, Complaint, SubjectRequest
from clubsite.staff.models import (
    LoginThrottle,
    RecoveryCode,
    RoleSetting,
    SetupToken,
    StaffSession,
    StaffUser,
)
from clubsite.web.exports import PreparedExport

__all__ = [
    "Delivery",
    "Newsletter",
    "Booking",
    "Hall",
    "CheckIn",
    "Invoice",
    "InvoiceCounter",
    "InvoiceDelivery",
    "InvoiceReminder",
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
    "Mandate",
    "MembershipPause",
    "SepaBatch",
    "StatementImport",
    "StatementLine",
    "DamagedValue",
    "PreparedExport",
    "PolicyReview",
    "RecoveryCode",
]
