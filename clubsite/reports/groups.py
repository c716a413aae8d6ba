"""The report groups: each page, the permission it needs, its filters and its sections.

Each group belongs to a purpose's staff (clubsite.privacy.roles): members and attendance to the
manager, fees to the accountant, the newsletter to marketing, data protection to the manager.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from clubsite.reports import attendance, cache, fees, members, newsletter, protection


@dataclass(frozen=True)
class Group:
    """One report page: its URL key, permission, title, sections and the filters it offers."""

    key: str
    permission: str
    title: object
    summary: object
    sections: dict
    site_filter: bool = False
    purpose_filter: bool = False
    page: object = None  # filters -> sections, where the page differs from its downloads

    def build(self, filters):
        """Every section of the page."""
        if self.page is not None:
            return cache.remembered(f"{self.key}:page", filters, lambda: self.page(filters))
        return [self.section(key, filters) for key in self.sections]

    def section(self, key, filters):
        """One section by its key (for its chart or CSV), or None."""
        builder = self.sections.get(key)
        if builder is None:
            return None
        return cache.remembered(f"{self.key}:{key}", filters, lambda: builder(filters))


GROUPS = {
    group.key: group
    for group in (
        Group(
            "members",
            "reports.members",
            _l("Members"),
            _l("Who joined and who left each month, and current members by plan."),
            members.SECTIONS,
            site_filter=True,
            purpose_filter=True,
        ),
        Group(
            "attendance",
            "reports.attendance",
            _l("Attendance"),
            _l("Check-ins by weekday and hour, and how full the halls were each week."),
            attendance.SECTIONS,
            site_filter=True,
            page=attendance.page,
        ),
        Group(
            "fees",
            "reports.fees",
            _l("Fees"),
            _l("Invoiced, paid and overdue each month, and how payments reached the club."),
            fees.SECTIONS,
        ),
        Group(
            "newsletter",
            "reports.newsletter",
            _l("Newsletter"),
            _l("What each campaign reached, and opt-ins and withdrawals each month."),
            newsletter.SECTIONS,
        ),
        Group(
            "privacy",
            "reports.privacy",
            _l("Data protection"),
            _l("Subject requests and their deadlines, breaches and erasures each month."),
            protection.SECTIONS,
        ),
    )
}


def visible_to(user):
    """The groups a staff member may open, in menu order."""
    return [group for group in GROUPS.values() if user.can(group.permission)]
