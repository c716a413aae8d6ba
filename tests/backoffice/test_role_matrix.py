"""Every back-office route against every role: exactly the access DESIGN.md's role table gives.

ALLOWED lists, per endpoint, the roles that may open it. A new back-office route must be added
here, or the completeness test fails: nothing is reachable by accident.
"""

import re

import pytest

from clubsite.privacy.roles import ROLES
from tests.conftest import csrf_token

ALL = set(ROLES)
ADMIN = {"admin"}
PUBLIC = "public"  # reachable without login

ALLOWED = {
    "backoffice.login": PUBLIC,
    "backoffice.first_admin": PUBLIC,
    "backoffice.accept_invitation": PUBLIC,
    "backoffice.home": ALL,
    "backoffice.logout": ALL,
    "backoffice.change_password": ALL,
    "backoffice.policy_training": ALL,
    "backoffice.staff_list": ADMIN,
    "backoffice.staff_detail": ADMIN,
    "backoffice.staff_action": ADMIN,
    "backoffice.audit_log": ADMIN,
    "backoffice.member_list": {"admin", "accountant", "reception"},
    "backoffice.member_detail": {"admin", "accountant", "reception"},
    "backoffice.member_edit": {"admin", "accountant", "reception"},
    "backoffice.member_verified": {"admin", "accountant", "reception"},
    "backoffice.member_end_purpose": ADMIN,
    "backoffice.member_erase": ADMIN,
    "backoffice.member_export": ADMIN,
    "backoffice.ropa_page": ADMIN,
}
EXTRA_ALLOWED = {}  # filled by later modules' test files via register_allowed()


def register_allowed(table):
    """Let other test modules declare the routes they add."""
    EXTRA_ALLOWED.update(table)


def _all_allowed():
    from tests.backoffice import role_table

    return {**ALLOWED, **role_table.ALLOWED, **EXTRA_ALLOWED}


def _backoffice_rules(app):
    return [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith(("backoffice.", "newsletter."))
    ]


def _concrete_url(rule):
    """Fill path variables with values that exist nowhere (the guard answers before lookup)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "00000000-0000-4000-8000-000000000000", rule.rule)


def test_every_backoffice_route_is_declared(app):
    """No back-office route exists without an entry in the role table."""
    allowed = _all_allowed()
    missing = [r.endpoint for r in _backoffice_rules(app) if r.endpoint not in allowed]
    assert not missing, f"routes missing from the role table: {missing}"


def test_every_backoffice_view_declares_a_permission(app):
    """Deny by default: each view is public or names its permission."""
    for rule in _backoffice_rules(app):
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "is_public", False) or getattr(view, "required_permission", None), (
            rule.endpoint
        )


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_matrix(app, client_for, role):
    """Each role gets through exactly the routes of its table row, and 403 on all others."""
    client = client_for(role)
    token = csrf_token(client, "/office/")
    allowed = _all_allowed()
    failures = []
    for rule in _backoffice_rules(app):
        expected = allowed[rule.endpoint]
        if expected == PUBLIC or rule.endpoint.endswith(".logout"):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(_concrete_url(rule), method=method, data=data)
        denied = response.status_code == 403
        if (role in expected) == denied:
            failures.append(f"{rule.endpoint} {method} -> {response.status_code}")
    assert not failures, f"{role}: {failures}"


def test_anonymous_is_sent_to_login_everywhere(app, client):
    """Without a login, every non-public back-office route redirects to the login page."""
    allowed = _all_allowed()
    for rule in _backoffice_rules(app):
        if allowed[rule.endpoint] == PUBLIC:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_concrete_url(rule), method=method)
        assert response.status_code in (302, 400), rule.endpoint
        if response.status_code == 302:
            assert "/office/login" in response.headers["Location"], rule.endpoint
