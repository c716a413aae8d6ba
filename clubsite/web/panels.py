"""Home-page panels: each role sees what needs its attention today.

Areas mark panels with @home_panel and register them from their init_app; a panel is shown
when the staff member holds its permission, and gets the staff member to compute its content.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from clubsite import hooks
from clubsite.extensions import rate_limits_degraded
from clubsite.privacy import damage
from clubsite.privacy import fields as store
from clubsite.privacy.policy import policy_current
from clubsite.privacy.roles import PERSONAL_DATA_PERMISSIONS


@dataclass
class Panel:
    """One home-page panel."""

    title: str
    template: str
    context: dict


def home_panel(permission, title, template, order=50):
    """Mark a function (staff_user) -> dict of template context as a home panel."""
    return hooks.hook("home_panel", permission, title=title, template=template, order=order)


def panels_for(user):
    """The panels this staff member may see, with their content.

    Panels of personal-data permissions wait until the policy training is current; until then
    a panel leads to the training instead.
    """
    trained = policy_current(user)
    panels = []
    for entry in hooks.registered("home_panel"):
        permission = entry.key
        if not user.can(permission):
            continue
        if permission in PERSONAL_DATA_PERMISSIONS and not trained:
            continue
        context = entry.func(user)
        if context is None:  # nothing to say today (e.g. a warning that does not apply)
            continue
        panels.append(Panel(str(entry.meta["title"]), entry.meta["template"], context))
    if not trained and any(user.can(p) for p in PERSONAL_DATA_PERMISSIONS):
        panels.insert(0, Panel(str(_l("Data-protection training")), TRAINING_PANEL, {}))
    return panels


TRAINING_PANEL = "backoffice/panels/training_needed.html"


@home_panel("account", _l("Your account"), "backoffice/panels/account.html", order=99)
def account_panel(user):
    """The staff member's own roles and status."""
    return {"user": user}


@home_panel("settings", _l("Rate limits"), "backoffice/panels/rate_limits.html", order=5)
def rate_limits_panel(_user):
    """A warning while this process counts rate limits in memory (the shared store is down)."""
    return {} if rate_limits_degraded() else None


@home_panel("audit.view", _l("Damaged records"), "backoffice/panels/damaged_values.html", order=4)
def damaged_values_panel(_user):
    """Records seen with a value that fails its check and still does (only those are checked)."""
    rows = damage.still_damaged(store.value_damaged)
    return {"rows": rows, "limit": damage.PANEL_LIMIT} if rows else None
