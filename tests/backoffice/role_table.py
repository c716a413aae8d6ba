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
    "fees_invoice",
    "fees_invoice_void",
):
    ALLOWED[f"backoffice.{_endpoint}"] = FEES

# Hall bookings (reception), halls (settings: admin), occupancy with times only (everyone)
BOOKINGS = {"admin", "reception"}
for _endpoint in ("bookings", "bookings_week", "booking_new", "booking_detail", "booking_cancel"):
    ALLOWED[f"backoffice.{_endpoint}"] = BOOKINGS
for _endpoint in ("halls_list", "hall_detail", "hall_action"):
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
