"""Which sites a staff member works at, and which site(s) their pages show now.

The admin assigns staff to sites. Check-in, bookings and the home panels show the staff
member's own sites by default; the switch in the page header picks one site or all of them
for the rest of the login. The choice is a site's public id (or "mine", "all") in the session
cookie: no personal data, and never in a URL. Logging in again starts from the default.
"""

from dataclasses import dataclass

from flask import has_request_context, session
from flask_babel import lazy_gettext as _l

from clubsite.domain import SYSTEM, DomainError
from clubsite.locations import location_by_public_id, open_locations
from clubsite.privacy import audit

SESSION_KEY = "site"
ALL = "all"
MINE = "mine"


class SiteChoiceError(DomainError):
    """A site that is not in the list (closed meanwhile, or made up)."""


@dataclass(frozen=True)
class SiteView:
    """The sites a staff member's pages show: `sites` empty means every site (no filter)."""

    choice: str  # ALL, MINE or a site's public id
    sites: tuple = ()

    @property
    def ids(self):
        """The shown sites' row ids, or None for every site."""
        return frozenset(site.id for site in self.sites) if self.sites else None

    @property
    def single(self):
        """The one site shown (where a check-in happens), or None."""
        return self.sites[0] if len(self.sites) == 1 else None

    @property
    def names(self):
        """The shown sites' names, for a page heading ("" for every site)."""
        return ", ".join(site.name for site in self.sites)


def assigned_sites(user):
    """The open sites the staff member works at, by name."""
    return [site for site in user.sites if site.active]


def default_view(user):
    """Their one site, all their sites, or (not tied to a site) every site."""
    mine = assigned_sites(user)
    if len(mine) == 1:
        return SiteView(mine[0].public_id, (mine[0],))
    if mine:
        return SiteView(MINE, tuple(mine))
    return SiteView(ALL)


def resolve(user, choice):
    """The view a choice stands for, or None if it is no longer possible (a closed site)."""
    if choice == ALL:
        return SiteView(ALL)
    if choice == MINE:
        mine = assigned_sites(user)
        return SiteView(MINE, tuple(mine)) if mine else None
    site = location_by_public_id(choice)
    if site is None or not site.active:
        return None
    return SiteView(site.public_id, (site,))


def current_view(user):
    """What this staff member's pages show now: the session's choice, else their default."""
    choice = session.get(SESSION_KEY) if has_request_context() else None
    return (resolve(user, choice) if choice else None) or default_view(user)


def choices(user):
    """[(value, label)] for the header's switch: their sites, each open site, every site."""
    options = []
    if len(assigned_sites(user)) > 1:
        options.append((MINE, _l("My sites")))
    options += [(site.public_id, site.name) for site in open_locations()]
    options.append((ALL, _l("All sites")))
    return options


def choose(user, choice):
    """Keep the choice for this login; refuses a site that is not open."""
    view = resolve(user, choice or "")
    if view is None:
        raise SiteChoiceError(_l("Choose a site from the list."), "site")
    session[SESSION_KEY] = view.choice
    return view


def set_staff_sites(staff, public_ids, *, actor=SYSTEM):
    """Assign the staff member to exactly these open sites (closed ones they had stay)."""
    chosen = []
    for public_id in dict.fromkeys(public_ids or ()):
        site = location_by_public_id(public_id)
        if site is None or not site.active:
            raise SiteChoiceError(_l("Choose the sites from the list."), "sites")
        chosen.append(site)
    kept = [site for site in staff.sites if not site.active]
    if {s.id for s in staff.sites} == {s.id for s in chosen + kept}:
        return
    staff.sites = chosen + kept
    audit.record("staff.sites_changed", subject=staff.public_id, fields=["sites"], actor=actor)
