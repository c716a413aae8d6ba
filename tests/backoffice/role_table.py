"""Role table entries for back-office routes added after the foundation (one line per route)."""

ALL = {"admin", "accountant", "reception", "marketing", "staff"}
ADMIN = {"admin"}
ALLOWED = {}

# Two-factor sign-in (staff)
ALLOWED["backoffice.login_code"] = "public"
ALLOWED["backoffice.twofactor_setup"] = ALL
ALLOWED["backoffice.twofactor_disable"] = ALL
ALLOWED["backoffice.twofactor_roles"] = ADMIN
ALLOWED["backoffice.twofactor_reset"] = ADMIN
ALLOWED["backoffice.twofactor_recovery_codes"] = ALL

# Add a member at the desk (public sign-up's form builder)
ALLOWED["backoffice.member_add"] = {"admin", "accountant", "reception"}

# Reception check-in (access) and fee administration (fees)
ALLOWED["backoffice.checkin"] = {"admin", "reception"}
FEES = {"admin", "accountant"}
for _endpoint in (
    "fees_home",
    "fees_plans",
    "fees_plan_edit",
    "fees_generate",
    "fees_overdue",
    "fees_export",
    "fees_member",
    "fees_membership_end",
    "fees_membership_agree",
    "fees_invoice",
    "fees_invoice_void",
):
    ALLOWED[f"backoffice.{_endpoint}"] = FEES

# Hall bookings (reception), halls (settings: admin), occupancy with times only (everyone)
BOOKINGS = {"admin", "reception"}
for _endpoint in ("bookings", "bookings_week", "booking_new", "booking_detail", "booking_cancel"):
    ALLOWED[f"backoffice.{_endpoint}"] = BOOKINGS
for _endpoint in ("booking_decide",):  # online bookings waiting for approval
    ALLOWED[f"backoffice.{_endpoint}"] = BOOKINGS
for _endpoint in ("halls_list", "hall_detail", "hall_action", "hall_online"):
    ALLOWED[f"backoffice.{_endpoint}"] = ADMIN
ALLOWED["backoffice.occupancy"] = ALL

# Newsletter (marketing, admin): compose, preview, send, progress
NEWSLETTER = {"admin", "marketing"}
for _endpoint in (
    "campaign_list",
    "campaign_new",
    "campaign_edit",
    "campaign_detail",
    "campaign_progress",
    "campaign_test",
    "campaign_action",
    "preview",
):
    ALLOWED[f"newsletter.{_endpoint}"] = NEWSLETTER

# GDPR registers (admin)
ALLOWED["backoffice.registers"] = ADMIN
ALLOWED["backoffice.register_list"] = ADMIN
ALLOWED["backoffice.register_new"] = ADMIN
ALLOWED["backoffice.register_edit"] = ADMIN
ALLOWED["backoffice.register_export"] = ADMIN

# Backups (admin)
for _endpoint in ("backups", "backup_create", "backup_verify"):
    ALLOWED[f"backoffice.{_endpoint}"] = ADMIN

# Member import (admin)
ALLOWED["backoffice.member_import"] = ADMIN
ALLOWED["backoffice.member_import_check"] = ADMIN

# Duplicates and merge (admin)
ALLOWED["backoffice.duplicates"] = ADMIN
ALLOWED["backoffice.duplicates_merge"] = ADMIN

# The audit log: checking the chain (a POST)
ALLOWED["backoffice.audit_verify"] = ADMIN

# Proof of consent: an address's consent history and suppression (admin)
ALLOWED["backoffice.consent_proof"] = ADMIN

# The one download of a prepared encrypted export (the preparer only; checked in the view)
ALLOWED["backoffice.export_download"] = ALL

# The desk (reception): sell, renew, take a payment, pause - plan, price and paid only
DESK = {"admin", "reception"}
for _endpoint in ("desk_member", "desk_sell", "desk_pay", "desk_renew", "desk_pause"):
    ALLOWED[f"backoffice.{_endpoint}"] = DESK

# Direct debit, bank statements and mandates (fees)
for _endpoint in (
    "fees_sepa",
    "fees_sepa_file",
    "fees_statements",
    "fees_statement_lines",
    "fees_statement_line",
    "fees_mandate",
    "fees_mandate_revoke",
):
    ALLOWED[f"backoffice.{_endpoint}"] = FEES

# Invoice documents (fees.document_routes): print page, PDF, sending, the desk's hand-over list
for _endpoint in (
    "fees_invoice_document",
    "fees_invoice_pdf",
    "fees_invoice_send",
    "fees_desk_invoices",
):
    ALLOWED[f"backoffice.{_endpoint}"] = FEES
ALLOWED["backoffice.desk_invoices"] = {"admin", "reception"}
ALLOWED["backoffice.desk_invoice_handed_over"] = {"admin", "reception"}

# Reports (clubsite.reports): counts only, each group for the staff of its purpose
ALLOWED["backoffice.reports"] = {"admin", "accountant", "marketing"}
for _group, _roles in (
    ("members", ADMIN),
    ("attendance", ADMIN),
    ("fees", FEES),
    ("newsletter", NEWSLETTER),
    ("privacy", ADMIN),
):
    for _suffix in ("", "_chart", "_csv"):
        ALLOWED[f"backoffice.reports_{_group}{_suffix}"] = _roles

# Sites (admin; clubsite.bookings.site_routes), every staff member's site switch, staff sites
for _endpoint in ("sites_list", "site_detail", "site_action"):
    ALLOWED[f"backoffice.{_endpoint}"] = ADMIN
ALLOWED["backoffice.site_choose"] = ALL
ALLOWED["backoffice.staff_sites"] = ADMIN

# Newsletter: schedule, duplicate, the club's header and footer (marketing, admin); "the address
# is right" for a member whose address a mail server refused (staff who correct addresses)
for _endpoint in ("campaign_schedule", "campaign_duplicate", "frame_settings"):
    ALLOWED[f"newsletter.{_endpoint}"] = NEWSLETTER
ALLOWED["newsletter.undeliverable_clear"] = {"admin", "accountant", "reception"}

# The printable member card (clubsite.access.card_routes): staff who see members; the view
# refuses unless the role covers the card number (the access purpose)
ALLOWED["backoffice.member_card"] = {"admin", "accountant", "reception"}

# Yearly reviews of the privacy notice, the staff policy and the cookie page (admin)
ALLOWED["backoffice.policy_reviews"] = ADMIN
ALLOWED["backoffice.policy_review_record"] = ADMIN
