"""Every page, as every role, free of the HTML and accessibility faults issue 15 found: duplicate
ids, street-address on an input, required selects without an empty first option, scrolling
tables the keyboard cannot reach, form controls without a label, references to missing ids.

The back office is crawled from its home page as each role (every link a role is shown, over a
small data set); the public pages and forms shown again with errors are fetched directly.
The full axe-core and Nu HTML Checker crawl needs Chromium with npm packages and Java; these
checks catch the same faults in plain Python (tests/support/htmlcheck.py).
"""

from urllib.parse import urlsplit

import lxml.html
import pytest

from clubsite.privacy.roles import ROLES
from clubsite.registers.service import file_subject_request
from tests.conftest import csrf_token
from tests.fees.helpers import make_member, make_plan, sell
from tests.privacy.factories import JANIS, LIGA, enrol
from tests.public.helpers import open_my_data, sign_up
from tests.support.htmlcheck import problems

MAX_PAGES = 120
# Links a crawl must not follow: they end the session or stream a file.
SKIP = ("/office/logout", ".csv", ".pdf", "/pdf", ".json", ".xml", "/download")


@pytest.fixture
def club(app):
    """A few members in every purpose, a plan with a membership and a filed request."""
    member = make_member()
    sell(member, make_plan())
    enrol(LIGA, ["bookings", "newsletter"])
    enrol({**JANIS, "email": "janis2@example.lv", "personal_code": ""}, ["newsletter"])
    file_subject_request(member.public_id, "access", "Lūdzu, datu kopiju.", source="email")
    from clubsite.extensions import db

    db.session.commit()
    return member


def _links(html):
    doc = lxml.html.document_fromstring(html)
    for href in doc.xpath("//a/@href"):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if any(skip in parts.path for skip in SKIP):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(client, start):
    """Every page reachable by links from start (GET), with the faults found on each.

    A path is visited at most twice (once with a query string): the day and week pages link
    to every other day, which are the same page with other numbers.
    """
    queue, seen, faults, per_path = [start], set(), {}, {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = url.split("?", 1)[0]
        if url in seen or per_path.get(path, 0) >= (1 if "?" in url else 2):
            continue
        seen.add(url)
        per_path[path] = per_path.get(path, 0) + 1
        response = client.get(url)
        assert response.status_code < 500, f"{url} -> {response.status_code}"
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if found := problems(html):
            faults[url] = found
        queue.extend(link for link in _links(html) if link not in seen)
    return seen, faults


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_back_office_page_is_clean_for_each_role(client_for, club, role):
    """Crawl the back office as the role: no page has any of the faults."""
    seen, faults = _crawl(client_for(role), "/office/")
    assert len(seen) > 3, seen
    assert faults == {}


def test_public_pages_and_my_data_are_clean(client, club):
    """Home, sign-up, notices, the link request and "My data" (several forms on one page)."""
    seen, faults = _crawl(client, "/")
    assert "/pieteikties" in seen
    assert faults == {}
    open_my_data(client, club)
    page = client.get("/mani-dati")
    assert page.status_code == 200
    assert problems(page.get_data(as_text=True)) == []


def test_forms_shown_again_with_errors_are_clean(client, client_for):
    """A failed sign-up and a failed "add member": the error summary adds no fault."""
    failed = sign_up(client, ["membership"], {"first_name": "", "email": "nav-adrese"})
    html = failed.get_data(as_text=True)
    summary = lxml.html.document_fromstring(html).xpath("//*[@data-error-summary]")[0]
    targets = summary.xpath(".//a/@href")
    assert "#email" in targets  # each error links to its input
    assert problems(html) == []
    staff = client_for("reception")
    url = "/office/members/new"
    data = {"csrf_token": csrf_token(staff, url), "purposes": ["access"], "step": "submit"}
    html = staff.post(url, data=data).get_data(as_text=True)
    summary = lxml.html.document_fromstring(html).xpath("//*[@data-error-summary]")[0]
    assert summary.xpath(".//a/@href")
    assert problems(html) == []


def test_the_checks_find_each_fault():
    """Each check fires on the fault it is for (so a clean result means something)."""
    page = """<!doctype html><html lang="lv"><head><title>x</title></head><body>
      <input type="hidden" name="csrf_token" id="csrf_token">
      <input type="hidden" name="csrf_token" id="csrf_token">
      <label for="a">Adrese</label><input id="a" autocomplete="street-address">
      <label for="p">Periods</label>
      <select id="p" required><option value="2026-12">12</option></select>
      <div class="table-wrap"><table><tr><td>1</td></tr></table></div>
      <input id="nameless">
      <label for="missing">Nekas</label>
      <input id="b" aria-describedby="b-hint" title="b">
    </body></html>"""
    found = "\n".join(problems(page))
    for expected in (
        'duplicate id="csrf_token"',
        "autocomplete=street-address",
        "without an empty first option",
        "has no tabindex=0",
        'id="nameless"> has no label',
        '<label for="missing"> labels nothing',
        'aria-describedby="b-hint" points at nothing',
    ):
        assert expected in found
    fixed = """<!doctype html><html lang="lv"><head><title>x</title></head><body>
      <label for="p">Periods</label>
      <select id="p" required><option value="">—</option><option>12</option></select>
      <div class="table-wrap" tabindex="0"><table><tr><td>1</td></tr></table></div>
    </body></html>"""
    assert problems(fixed) == []
