"""Staff roles and what each may do: the one table every back-office view is checked against."""

from flask_babel import lazy_gettext as _l

ROLES = {
    "admin": _l("Manager (admin)"),
    "accountant": _l("Accountant"),
    "reception": _l("Reception"),
    "marketing": _l("Marketing"),
    "staff": _l("Staff (no access to personal data)"),
}

# Permissions name a job, not a page. A view declares the one it needs; a view that declares
# none is refused to everyone (deny by default).
PERMISSIONS = {
    "home": _l("See the back-office home page"),
    "account": _l("Manage one's own account"),
    "members.view": _l("Find members and see the fields one's role covers"),
    "members.edit": _l("Add and correct members"),
    "members.erase": _l("Erase members and end purposes"),
    "members.export": _l("Export a member's data for a subject access request"),
    "members.import": _l("Import members from a spreadsheet"),
    "members.merge": _l("Find and merge duplicate members"),
    "checkin": _l("Check members in"),
    "desk": _l("Sell, renew and pause memberships at the desk (plan, price and paid only)"),
    "fees": _l("Plans, invoices and payments"),
    "bookings": _l("Hall bookings with names"),
    "occupancy": _l("Hall occupancy (times only)"),
    "newsletter": _l("Compose and send newsletters"),
    "staff.manage": _l("Manage staff and roles"),
    "audit.view": _l("Read the audit log"),
    "registers": _l("Subject requests, breaches and complaints"),
    "ropa.view": _l("Record of processing activities"),
    "backups": _l("Backups"),
    "settings": _l("Settings"),
    "sites.manage": _l("Add, rename and close sites"),
    # Reports show counts only (clubsite.reports): none of them is personal data, so none needs
    # the policy training; each belongs to the purpose whose staff may see it.
    "reports.members": _l("Reports: members joined and left, current members by plan"),
    "reports.attendance": _l("Reports: check-ins by weekday and hour, hall occupancy"),
    "reports.fees": _l("Reports: invoiced, paid and overdue"),
    "reports.newsletter": _l("Reports: newsletter campaigns, opt-ins and withdrawals"),
    "reports.privacy": _l("Reports: subject requests, breaches and erasures"),
    "reports": _l("See the list of reports (given with any report)"),
}

# Permissions whose views show or use members' personal data: they also need the current policy
# acknowledged and the training passed (clubsite.privacy.policy). The newsletter is one of them:
# marketing sees counts only, but Send mails every address of the audience.
PERSONAL_DATA_PERMISSIONS = {
    "members.view",
    "members.edit",
    "members.erase",
    "members.export",
    "members.import",
    "members.merge",
    "checkin",
    "desk",
    "fees",
    "bookings",
    "registers",
    "audit.view",
    "newsletter",
}

_EVERYONE = {"home", "account", "occupancy"}

ROLE_PERMISSIONS = {
    "admin": set(PERMISSIONS),
    "accountant": _EVERYONE | {"members.view", "members.edit", "fees", "reports.fees"},
    "reception": _EVERYONE | {"members.view", "members.edit", "checkin", "desk", "bookings"},
    "marketing": _EVERYONE | {"newsletter", "reports.newsletter"},
    "staff": set(_EVERYONE),
}
# The reports' list page opens for every role that may see at least one report.
for _granted in ROLE_PERMISSIONS.values():
    if any(p.startswith("reports.") for p in _granted):
        _granted.add("reports")


def role_allows(role, permission):
    """True if the role grants the permission; unknown roles and permissions grant nothing."""
    return permission in ROLE_PERMISSIONS.get(role, set())


def role_label(role):
    """The role's name for people."""
    return ROLES.get(role, role)
