"""What staff read in place of the codes the database keeps: audit actions, the field names an
event touched, and where an enrolment came from. A code never reaches a page: a code without
its own label is shown by its area's label ("Fees: another action")."""

from flask_babel import lazy_gettext as _l

from clubsite.privacy.purposes import FIELDS

ACTIONS = {
    "audit.verified": _l("Audit log chain checked"),
    "backup.created": _l("Backup made"),
    "backup.restored": _l("Backup restored"),
    "booking.anonymised": _l("Booking's contact details erased"),
    "booking.cancelled": _l("Booking cancelled"),
    "booking.cancelled_online": _l("Booking cancelled by the visitor by the link"),
    "booking.created_online": _l("Booking made online"),
    "booking.changed": _l("Booking changed"),
    "booking.contact_read": _l("Booking's contact details viewed"),
    "booking.created": _l("Booking made"),
    "booking.list": _l("Bookings viewed"),
    "booking.undecided_dropped": _l("Online booking not decided in time removed"),
    "consent.confirmed": _l("Consent confirmed"),
    "consent.proof_viewed": _l("Proof of consent viewed"),
    "demo.seeded": _l("Demo data created"),
    "export.downloaded": _l("Export downloaded"),
    "export.prepared": _l("Export prepared"),
    "fees.collection_file": _l("Direct debit file made"),
    "fees.desk_list": _l("Invoices to hand over viewed"),
    "fees.desk_read": _l("Desk: member viewed"),
    "fees.export_invoices": _l("Invoices exported"),
    "fees.export_payments": _l("Payments exported"),
    "fees.invoice_delivered": _l("Invoice sent"),
    "fees.invoice_handed_over": _l("Invoice handed over at the desk"),
    "fees.invoice_issued": _l("Invoice issued"),
    "fees.invoice_pdf": _l("Invoice PDF downloaded"),
    "fees.invoice_read": _l("Invoice viewed"),
    "fees.invoice_voided": _l("Invoice voided"),
    "fees.invoices_delivered": _l("Invoices sent"),
    "fees.mandate_given": _l("Direct debit mandate given"),
    "fees.mandate_read": _l("Direct debit mandate viewed"),
    "fees.mandate_revoked": _l("Direct debit mandate revoked"),
    "fees.member_read": _l("Fees: member viewed"),
    "fees.membership_agreed": _l("Membership extended by agreement"),
    "fees.membership_ended": _l("Membership ended"),
    "fees.membership_lapsed": _l("Membership lapsed"),
    "fees.membership_paused": _l("Membership paused"),
    "fees.membership_renewed": _l("Membership renewed"),
    "fees.membership_sold": _l("Membership sold"),
    "fees.overdue_list": _l("Overdue invoices viewed"),
    "fees.payment_recorded": _l("Payment recorded"),
    "fees.plan_changed": _l("Plan changed"),
    "fees.plan_created": _l("Plan created"),
    "fees.reminder_queued": _l("Payment reminder queued"),
    "fees.statement_imported": _l("Bank statement imported"),
    "fees.statement_line_dismissed": _l("Bank statement line set aside"),
    "fees.statement_lines_read": _l("Bank statement lines viewed"),
    "hall.activated": _l("Hall opened again"),
    "hall.changed": _l("Hall changed"),
    "hall.created": _l("Hall added"),
    "hall.deactivated": _l("Hall closed"),
    "hall.online_changed": _l("Hall's online booking settings changed"),
    "login": _l("Logged in"),
    "login.code.failed": _l("Wrong sign-in code"),
    "login.code.locked": _l("Sign-in codes locked after failed attempts"),
    "login.failed": _l("Login failed"),
    "login.locked": _l("Login locked after failed attempts"),
    "login.password_ok": _l("Password accepted, waiting for the code"),
    "logout": _l("Logged out"),
    "member.checkin": _l("Check-in"),
    "member.card": _l("Member card opened to print"),
    "member.checkin_list": _l("Today's check-ins viewed"),
    "member.corrected": _l("Member's details corrected"),
    "member.created": _l("Member added"),
    "member.duplicates_scanned": _l("Possible duplicates searched"),
    "member.erased": _l("Member erased"),
    "member.exported": _l("Member's data exported"),
    "member.import": _l("Members imported"),
    "member.import_previewed": _l("Import previewed"),
    "member.import_uploaded": _l("Import file uploaded"),
    "member.list": _l("Member list viewed"),
    "member.merged": _l("Members merged"),
    "member.merged_away": _l("Member merged into another"),
    "member.purpose_ended": _l("Purpose ended"),
    "member.read": _l("Member viewed"),
    "member.read_for_edit": _l("Member opened for correction"),
    "member.read_for_merge": _l("Member viewed for a merge"),
    "member.reverify_sent": _l("Asked to confirm their details"),
    "member.search": _l("Member search"),
    "member.undeliverable_cleared": _l("Email address marked as working again"),
    "member.verified": _l("Details confirmed"),
    "newsletter.queued": _l("Newsletter queued for sending"),
    "newsletter.scheduled": _l("Newsletter scheduled"),
    "newsletter.unscheduled": _l("Newsletter's schedule cancelled"),
    "newsletter.unsubscribe_link_requested": _l("Unsubscribe link requested"),
    "policy.reviewed": _l("Policy reviewed"),
    "privacy.retention": _l("Retention run"),
    "privacy.value_damaged": _l("Damaged value found"),
    "register.breach_recorded": _l("Breach recorded"),
    "register.breach_updated": _l("Breach updated"),
    "register.breaches_read": _l("Breach viewed"),
    "register.complaint_recorded": _l("Complaint recorded"),
    "register.complaint_updated": _l("Complaint updated"),
    "register.complaints_read": _l("Complaint viewed"),
    "register.exported": _l("Register exported"),
    "register.request_extended": _l("Request's deadline extended"),
    "register.request_filed": _l("Request filed"),
    "register.request_updated": _l("Request updated"),
    "register.requests_read": _l("Request viewed"),
    "self_service.address_change_requested": _l("My data: new email address asked for"),
    "self_service.address_changed": _l("My data: email address changed"),
    "self_service.card": _l("My data: member card opened to print"),
    "self_service.corrected": _l("My data: details corrected"),
    "self_service.erased": _l("My data: everything erased"),
    "self_service.exported": _l("My data: data downloaded"),
    "self_service.link_requested": _l("My data: link asked for"),
    "self_service.objected": _l("My data: objected to the news"),
    "self_service.opened": _l("My data: opened"),
    "self_service.purpose_ended": _l("My data: purpose ended"),
    "self_service.purposes_added": _l("Purposes added by the mailed link"),
    "self_service.purposes_requested": _l("Sign-up of a known address: purposes asked for"),
    "self_service.subscribed": _l("My data: news subscribed to"),
    "self_service.verified": _l("My data: details confirmed"),
    "self_service.viewed": _l("My data: viewed"),
    "self_service.withdrawn": _l("My data: consent withdrawn"),
    "site.changed": _l("Site changed"),
    "site.closed": _l("Site closed"),
    "site.created": _l("Site added"),
    "site.reopened": _l("Site opened again"),
    "staff.activated": _l("Staff account switched on"),
    "staff.created": _l("Staff account created"),
    "staff.deactivated": _l("Staff account switched off"),
    "staff.invitation_accepted": _l("Invitation accepted"),
    "staff.password_changed": _l("Password changed"),
    "staff.recovery_code_used": _l("Signed in with a recovery code"),
    "staff.recovery_codes_created": _l("New recovery codes made"),
    "staff.policy_acknowledged": _l("Data-protection policy acknowledged"),
    "staff.roles_changed": _l("Roles changed"),
    "staff.sites_changed": _l("Staff member's sites changed"),
    "staff.training_failed": _l("Training not passed"),
    "staff.training_passed": _l("Training passed"),
    "staff.two_factor_disabled": _l("Two-factor sign-in switched off"),
    "staff.two_factor_enabled": _l("Two-factor sign-in switched on"),
    "staff.two_factor_reset": _l("Two-factor sign-in reset"),
    "staff.two_factor_roles": _l("Roles that need two-factor sign-in changed"),
    "staff.unlocked": _l("Login lock lifted"),
}

# An action without a label of its own: its area's, from the part before the first dot.
AREAS = {
    "audit": _l("Audit log: another action"),
    "backup": _l("Backups: another action"),
    "booking": _l("Bookings: another action"),
    "consent": _l("Consent: another action"),
    "export": _l("Exports: another action"),
    "fees": _l("Fees: another action"),
    "hall": _l("Halls: another action"),
    "login": _l("Login: another action"),
    "member": _l("Members: another action"),
    "newsletter": _l("Newsletter: another action"),
    "privacy": _l("Data protection: another action"),
    "register": _l("Registers: another action"),
    "self_service": _l("My data: another action"),
    "site": _l("Sites: another action"),
    "staff": _l("Staff: another action"),
}
OTHER_ACTION = _l("Another action")

# Field and column names an event may list, besides the member fields of the registry.
EXTRA_FIELDS = {
    "buyer_name": _l("Buyer's name"),
    "description": _l("What happened"),
    "details": _l("Details"),
    "extension_reason": _l("Reason for the extension"),
    "measures": _l("Measures taken"),
    "name": _l("Name"),
    "outcome": _l("Outcome"),
    "password": _l("Password"),
    "roles": _l("Roles"),
    "sites": _l("Sites"),
    "status": _l("Status"),
    "summary": _l("Summary"),
    "times": _l("Time"),
    "totp_secret": _l("Two-factor key"),
    "visitor_name": _l("Visitor's name"),
}
OTHER_FIELD = _l("other data")

# Where an enrolment in a purpose came from (MemberPurpose.source).
SOURCES = {
    "signup": _l("Sign-up form"),
    "staff": _l("Recorded by staff"),
    "import": _l("Imported from a file"),
    "self-service": _l("“My data” page"),
    "merge": _l("Merged from a duplicate"),
}
OTHER_SOURCE = _l("Another way")


def action_label(code):
    """The staff-readable name of an audit action code."""
    if code in ACTIONS:
        return ACTIONS[code]
    return AREAS.get((code or "").split(".", 1)[0], OTHER_ACTION)


def field_labels(names):
    """The readable names of a comma-separated list of field names, each once, in order."""
    labels = []
    for name in (n.strip() for n in (names or "").split(",")):
        if not name:
            continue
        label = str(FIELDS[name].label if name in FIELDS else EXTRA_FIELDS.get(name, OTHER_FIELD))
        if label not in labels:
            labels.append(label)
    return ", ".join(labels)


def source_label(code):
    """How an enrolment came about, in words."""
    return SOURCES.get(code, OTHER_SOURCE)


def action_choices():
    """(code, label) of every labelled action, sorted by label, for the audit log's filter."""
    return sorted(((code, str(label)) for code, label in ACTIONS.items()), key=lambda c: c[1])
