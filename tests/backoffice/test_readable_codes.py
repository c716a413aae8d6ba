"""Internal codes never reach a page: audit actions, field names and where an enrolment came from
are shown in words (clubsite.backoffice.labels)."""

import ast
from pathlib import Path

from clubsite.backoffice import labels
from tests.privacy.factories import JANIS, enrol

ROOT = Path(__file__).resolve().parents[2] / "clubsite"
# Codes built at run time (f-strings), spelled out: self-service actions and login attempts.
DYNAMIC = {
    "self_service.address_change_requested",
    "self_service.address_changed",
    "self_service.objected",
    "self_service.withdrawn",
    "login",
    "login.password_ok",
    "login.failed",
    "login.locked",
    "login.code.failed",
    "login.code.locked",
    "staff.activated",
    "staff.deactivated",
    "hall.activated",
    "hall.deactivated",
    "register.requests_read",
    "register.breaches_read",
    "register.complaints_read",
}
# Helpers that prefix their first argument with "self_service.".
SELF_SERVICE_HELPERS = {
    ("public/selfservice.py", "record"),
    ("public/address_change.py", "_record"),
}


def _recorded_codes():
    """Every literal action code passed to audit.record/record_many (or a self-service helper)."""
    codes = set()
    for path in ROOT.rglob("*.py"):
        relative = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "audit":
                if name in ("record", "record_many"):
                    codes.add(first.value)
            elif (relative, name) in SELF_SERVICE_HELPERS:
                codes.add(f"self_service.{first.value}")
    for path in ROOT.rglob("*.py"):  # read_member(..., action="member.read_for_edit")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "action":
                value = node.value
                if isinstance(value, ast.Constant) and "." in str(value.value):
                    codes.add(value.value)
    return codes


def test_every_audited_action_has_a_label():
    """A new audit action needs its words in clubsite/backoffice/labels.py ACTIONS."""
    codes = _recorded_codes() | DYNAMIC | {"member.read"}
    assert len(codes) > 80
    missing = sorted(code for code in codes if code not in labels.ACTIONS)
    assert missing == [], f"add these to clubsite/backoffice/labels.py ACTIONS: {missing}"


def test_an_unknown_code_falls_back_to_its_area():
    """Should one slip through, the page shows its area's words, never the code."""
    assert str(labels.action_label("fees.something_new")) == "Fees: another action"
    assert str(labels.action_label("nonsense")) == "Another action"
    assert labels.field_labels("first_name,last_name,first_name,mystery") == (
        "First name, Last name, other data"
    )
    assert str(labels.source_label("signup")) == "Sign-up form"


def test_the_audit_log_shows_words_not_codes(client_for, domain_messages_in_english):
    """After a member page is opened, the log says "Skatīts klients" and names the fields."""
    member = enrol(JANIS, ["access", "fees"])
    admin = client_for("admin")
    assert admin.get(f"/office/members/{member.public_id}").status_code == 200
    page = admin.get("/office/audit").get_data(as_text=True)
    table = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "Skatīts klients" in table and "Vārds, " in table
    for code in ("member.read", "first_name", "last_name", "member.list", "login"):
        assert code not in table
    assert '<option value="member.read" >Skatīts klients</option>' in page  # the filter


def test_the_member_page_says_where_an_enrolment_came_from(client_for):
    """ "Pieteikšanās veidlapa", not "(signup)"."""
    member = enrol(JANIS, ["access"])
    page = client_for("reception").get(f"/office/members/{member.public_id}").get_data(as_text=True)
    assert "(Pieteikšanās veidlapa)" in page and "(signup)" not in page
