"""Home-page panels: each role sees what needs its attention today.

Other packages add panels with @home_panel; a panel is shown when the staff member holds its
permission, and gets the staff member to compute its content.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from clubsite.privacy.policy import policy_current
from clubsite.privacy.roles import PERSONAL_DATA_PERMISSIONS


@dataclass
class Panel:
    """One home-page panel."""

    title: str
    template: str
    context: dict


_PANELS = []


def home_panel(permission, title, template, order=50):
    """Register a function (staff_user) -> dict of template context as a home panel."""

    def decorate(func):
        _PANELS.append((order, permission, title, template, func))
        _PANELS.sort(key=lambda item: item[0])
        return func

    return decorate


def panels_for(user):
    """The panels this staff member may see, with their content.

    Panels of personal-data permissions wait until the policy training is current; until then
    a panel leads to the training instead.
    """
    trained = policy_current(user)
    panels = []
    for _order, permission, title, template, func in _PANELS:
        if not user.can(permission):
            continue
        if permission in PERSONAL_DATA_PERMISSIONS and not trained:
            continue
        panels.append(Panel(str(title), template, func(user)))
    if not trained and any(user.can(p) for p in PERSONAL_DATA_PERMISSIONS):
        panels.insert(0, Panel(str(_l("Data-protection training")), TRAINING_PANEL, {}))
    return panels


TRAINING_PANEL = "backoffice/panels/training_needed.html"


@home_panel("account", _l("Your account"), "backoffice/panels/account.html", order=99)
def account_panel(user):
    """The staff member's own roles and status."""
    return {"user": user}
