"""Every page, as every role, on a desktop and on a phone: no axe-core violation and no Nu HTML
Checker error or warning (issue 15).

Each role's crawl (admin, every other staff role, a visitor, a member in "My data") starts at
its home page and follows the same-site links its pages show (GET only, no logout or files, one
page per route pattern), then adds the states no link reaches: forms shown again after a failed
POST, the "not found" page, "My data" opened through a mailed link, the sign-up's confirmation
link, a staff invitation's password page, and two-factor sign-in (the code page, a wrong code, a
recovery code, new recovery codes); the first administrator's page, shown only while a club has
no staff, is checked on its own. The served markup of
every page as every role goes to the Nu HTML Checker in one run of Java at the end; Chromium
runs axe-core at 1280×800 and at 390×844 on every page as every role (see Crawl;
CLUBSITE_A11Y_EVERY_ROLE=0 checks each route only the first time a role reaches it, faster).
"""

import os
import shutil
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import lxml.html
import pyotp
import pytest

from clubsite.access.service import check_in
from clubsite.bookings import halls
from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.newsletter import service as newsletters
from clubsite.privacy.roles import ROLES
from clubsite.public import tokens
from clubsite.registers.service import file_subject_request
from clubsite.staff import service as staff_service
from clubsite.staff import twofactor
from clubsite.staff.models import StaffUser
from tests.bookings.conftest import add_hall, add_site, book
from tests.conftest import STAFF_PASSWORD
from tests.fees.helpers import card_of, make_member, make_plan, sell
from tests.privacy.factories import JANIS, LIGA, enrol
from tests.support.a11y import Axe, followable, require_tools, route_key, validate

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MAX_PAGES_PER_ROLE = 100  # a guard against a crawl that runs away
EVERY_ROLE = os.environ.get("CLUBSITE_A11Y_EVERY_ROLE", "1") != "0"


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    """SQLite only: the crawl checks markup, which is the same on both databases (each page's
    behaviour on PostgreSQL is checked by its own tests), and the crawl is the suite's longest."""
    path = tmp_path / "clubsite.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def club(app, make_staff):
    """Members in every purpose with a membership, an invoice, a check-in and bookings; a filed
    request; one trained staff member per role; a "My data" link for one member."""
    staff = {role: make_staff(role).email for role in ROLES}
    reception = db.session.scalar(db.select(StaffUser).filter_by(email=staff["reception"]))
    member = make_member()
    sell(member, make_plan(), today=today_local())
    liga = enrol(LIGA, ["bookings", "newsletter"])
    enrol({**JANIS, "email": "janis2@example.lv", "personal_code": ""}, ["newsletter"])
    enrol({**LIGA, "first_name": "Anna", "email": "anna@example.lv"}, ["bookings"])  # one phone
    file_subject_request(member.public_id, "access", "Lūdzu, datu kopiju.", source="email")
    hall = add_hall("Lielā zāle", add_site("Centrs", address="Brīvības iela 1, Rīga"))
    online = {"online": "y", "online_opens": "08:00", "online_closes": "22:00"}
    halls.update_online(hall, online | {"slot_minutes": "60", "days_ahead": "14"})
    day = today_local() + timedelta(days=1)
    book(reception, hall, day, "10:00", "11:00", member=liga, now=None)
    book(reception, hall, day, "12:00", "13:00", now=None)
    check_in(card_of(member), user=reception)
    marketer = db.session.scalar(db.select(StaffUser).filter_by(email=staff["marketing"]))
    draft = {"subject_lv": "Jaunumi", "body_lv": "Sveiki! **Ziemas** sezona."}
    newsletters.save_draft(None, draft, staff=marketer)
    pending = enrol({**JANIS, "email": "gaida@example.lv", "personal_code": ""}, ["newsletter"],
                    confirmed=False)  # fmt: skip
    invited = staff_service.create_staff("jauna@klubs.lv", "Jana Ozola", ["reception"], None)
    links = {
        "my_data": "/mani-dati/atvert/" + tokens.issue("access", member),
        "confirm": "/apstiprinat/" + tokens.issue("confirm", pending),
        "invite": "/office/invite/" + staff_service.create_setup_token("invite", staff=invited),
    }
    db.session.commit()
    two_factor = _two_factor_staff(make_staff("reception", email="divi@klubs.lv"))
    db.session.close()  # read nothing more here: SQLite's write lock stays free for the server
    return staff, links, two_factor


class Codes:
    """The authenticator app of a staff member with two-factor sign-in: each code typed is of a
    later time step than the last (a step is spent once) and inside the accepted window."""

    def __init__(self, secret, last_step):
        self.totp, self.last_step = pyotp.TOTP(secret), last_step

    def next(self):
        now = datetime.now(UTC)
        current = self.totp.timecode(now)
        self.last_step = max(self.last_step + 1, current - twofactor.VALID_WINDOW)
        assert self.last_step <= current + twofactor.VALID_WINDOW, "codes typed too fast"
        return self.totp.generate_otp(self.last_step)

    def wrong(self):
        """A code no step of the accepted window has."""
        current = self.totp.timecode(datetime.now(UTC))
        window = range(current - 2, current + 3)
        taken = {self.totp.generate_otp(step) for step in window}
        return next(code for code in ("000000", "111111", "222222") if code not in taken)


def _two_factor_staff(user):
    """Turn two-factor sign-in on for `user` as if a minute ago; (email, app, recovery codes)."""
    secret = twofactor.new_secret()
    then = datetime.now(UTC) - timedelta(seconds=60)
    recovery_codes = twofactor.enable(user, secret, pyotp.TOTP(secret).at(then), now=then)
    db.session.commit()
    return user.email, Codes(secret, user.totp_last_step), recovery_codes


class Crawl:
    """One visitor's walk over the pages it can reach, with a desktop and a phone context.

    Every page is fetched with the context's cookies (context.request: no rendering) for its
    links and its served markup, and rendered in both contexts and checked by axe (every page
    as every role). With CLUBSITE_A11Y_EVERY_ROLE=0 (faster, for a quick local run) a page is
    rendered only when its route is new to the whole crawl (`checked`, shared by the roles,
    admin first: the role that sees the most of each page) or is the role's home page.
    """

    def __init__(self, chromium, base, checked, prefix="/"):
        self.base, self.checked, self.prefix = base, checked, prefix
        # Reduced motion: the page's transitions end at once (app.css), so axe never measures
        # a button's colours half-way through a hover the last tap left under the pointer.
        self.contexts = [
            chromium.new_context(locale="lv-LV", reduced_motion="reduce", **size)
            for size in (DESKTOP, PHONE)
        ]
        for context in self.contexts:
            Axe.install(context)
        self.desktop, self.phone = (context.new_page() for context in self.contexts)
        self.seen, self.served, self.violations, self.broken = set(), {}, {}, []
        self.phone_pending = None  # the label of the page whose phone run is still going

    def share_session(self):
        """Give the phone the desktop's cookies (a login, a "My data" session)."""
        self.contexts[1].add_cookies(self.contexts[0].cookies())

    def goto(self, url):
        """Open the URL in both contexts."""
        self.desktop.goto(self.base + url)
        self._collect_phone()
        self.phone.goto(self.base + url)

    def _record(self, label, page, name):
        for violation in Axe.violations(page):
            self.violations.setdefault(f"{label} [{name}]", []).append(violation)

    def _collect_phone(self):
        """The phone's run of the previous page (before the phone page goes elsewhere)."""
        if self.phone_pending is not None:
            self._record(self.phone_pending, self.phone, "phone")
            self.phone_pending = None

    def _axe(self, label, load_phone):
        """axe in the desktop page while the phone loads the same page, then in the phone,
        whose run goes on while the desktop loads the next page (each page has a renderer)."""
        Axe.start(self.desktop)
        self._collect_phone()
        load_phone()
        Axe.start(self.phone)
        self.phone_pending = label
        self._record(label, self.desktop, "desktop")

    def _render(self, url):
        """Open the page in the desktop context and check it in both; returns (final, body)."""
        response = self.desktop.goto(self.base + url)
        final = followable(self.desktop.url, self.base) or url
        if response.ok and "text/html" in response.headers.get("content-type", ""):
            self._axe(final, lambda: self.phone.goto(self.desktop.url))
        return final, response

    def _fetch(self, url):
        response = self.contexts[0].request.get(self.base + url)
        return followable(response.url, self.base) or url, response

    def walk(self, start, *more):
        """Follow links from start (and more) within the prefix, one page per route pattern."""
        queue = [start, *more]
        while queue and len(self.seen) < MAX_PAGES_PER_ROLE:
            url = queue.pop(0)
            if route_key(url) in self.seen:
                continue
            self.seen.add(route_key(url))
            render = EVERY_ROLE or url == start or route_key(url) not in self.checked
            final, response = self._render(url) if render else self._fetch(url)
            if response.status >= 400:
                self.broken.append(f"{url} -> {response.status}")
            if not response.ok or "text/html" not in response.headers.get("content-type", ""):
                continue
            if final != url and route_key(final) in self.seen:
                continue
            self.seen.add(route_key(final))
            self.checked.update({route_key(url), route_key(final)} if render else ())
            html = response.text()
            self.served[final] = html
            for href in lxml.html.document_fromstring(html).xpath("//a/@href"):
                link = followable(href, self.base)
                if link and link.startswith(self.prefix) and route_key(link) not in self.seen:
                    queue.append(link)

    def visit(self, url):
        """One page checked as the walk checks it, without following its links."""
        final, response = self._render(url)
        assert response.ok, (url, response.status)
        self.served[final] = response.text()

    def state(self, label, action):
        """A page only a POST shows: action(page) submits the open form in both contexts."""
        with self.desktop.expect_navigation() as navigation:
            action(self.desktop)

        def submit_on_phone():
            with self.phone.expect_navigation():
                action(self.phone)

        self._axe(label, submit_on_phone)
        self.served[label] = navigation.value.text()

    def wants(self, label):
        """True if a page state is still to be checked (once for all roles, as for routes)."""
        wanted = EVERY_ROLE or label not in self.checked
        self.checked.add(label)
        return wanted

    def missing(self, url):
        """The "not found" page."""
        response = self.desktop.goto(self.base + url)
        assert response.status == 404, (url, response.status)
        self._axe(f"{url} (404)", lambda: self.phone.goto(self.base + url))
        self.served[f"{url} (404)"] = response.text()

    def close(self):
        """Collect the last run and close both contexts."""
        self._collect_phone()
        for context in self.contexts:
            context.close()


def _log_in(page, base, email, password=STAFF_PASSWORD):
    page.goto(base + "/office/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")


def _failed_login(page):
    page.locator("#email").fill("nav-te@klubs.lv")
    page.locator("#password").fill("nepareiza parole")
    page.locator("#password").press("Enter")


def _failed_sign_up(page):
    page.locator("input[name=choices][value=membership]").check()
    page.locator("#email").fill("nav-adrese")
    page.locator("button[data-submit]").click()


def _failed_member_add(page):
    page.locator("input[name=purposes][value=access]").check()
    page.locator("button[data-submit]").click()


def _failed_booking(page):
    page.locator("#book-submit").click()


def _choose_slot(page):
    page.locator("form.booking-day button:not([disabled])").first.click()


def _failed_online_booking(page):
    page.locator("main form[method=post]").evaluate("form => { form.noValidate = true; }")
    page.locator("main form[method=post] button[type=submit]").click()


def _open_my_data(page):
    page.locator("main form button[type=submit]").click()


def _confirm_sign_up(page):
    page.locator("main form button[type=submit]").click()


def _failed_password(page):
    """Too short, and typed differently the second time (the invitation, the first admin)."""
    page.locator("#password").fill("par īsu")
    page.locator("#confirm").fill("cita")
    page.locator("main form button[type=submit]").click()


def _type_password(page, email):
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("#password").press("Enter")


def _type_code(page, code, field="#code"):
    page.locator(field).fill(code)
    page.locator(field).press("Enter")


def _visitor(crawl):
    """The public pages, the forms shown with errors, and "My data" opened by its link."""
    crawl.walk("/", "/pieteikties/paldies")
    crawl.missing("/nav-tadas-lapas")
    crawl.goto("/office/login")
    crawl.state("/office/login (wrong password)", _failed_login)
    crawl.goto("/pieteikties")
    crawl.state("/pieteikties (errors)", _failed_sign_up)
    week = next(url for url in crawl.served if url.startswith("/rezervet/"))
    crawl.goto(week)
    crawl.state("/rezervet/zale/<hall> (a slot chosen)", _choose_slot)
    crawl.state("/rezervet/zale/<hall> (errors)", _failed_online_booking)


def _links(crawl, links):
    """The sign-up's confirmation link (its page, then confirmed; the phone, a moment later,
    finds the link used) and a staff invitation's password page shown with errors."""
    crawl.visit(links["confirm"])
    crawl.state("/apstiprinat/<token> (confirmed, or already used)", _confirm_sign_up)
    crawl.visit(links["invite"])
    crawl.state("/office/invite/<token> (errors)", _failed_password)


def _two_factor(crawl, email, codes, recovery_codes):
    """Two-factor sign-in: the code page, a wrong code, in with a code (the phone with a
    recovery code), the two-factor page and a new set of recovery codes."""
    spare = list(recovery_codes)
    crawl.goto("/office/login")
    crawl.state("/office/login/code", lambda page: _type_password(page, email))
    crawl.state("/office/login/code (wrong code)", lambda page: _type_code(page, codes.wrong()))
    crawl.state(
        "/office/ (in with a code; on the phone with a recovery code)",
        lambda page: _type_code(page, codes.next() if page is crawl.desktop else spare.pop()),
    )
    crawl.visit("/office/account/two-factor")
    crawl.state(
        "/office/account/two-factor/recovery-codes",
        lambda page: _type_code(page, codes.next(), field="#renew-code"),
    )


def _member(crawl, my_data_link):
    """Open "My data" through the mailed link (it works once: the phone shares the session)."""
    crawl.desktop.goto(crawl.base + my_data_link)
    with crawl.desktop.expect_navigation():
        _open_my_data(crawl.desktop)
    crawl.share_session()
    crawl.walk("/mani-dati")


def _staff(crawl, email):
    """The back office from its home page, and "add member" and "book" shown with errors."""
    _log_in(crawl.desktop, crawl.base, email)
    crawl.desktop.wait_for_url(crawl.base + "/office/")
    crawl.share_session()
    crawl.walk("/office/")
    for url, action in (
        ("/office/members/new", _failed_member_add),
        ("/office/bookings/new", _failed_booking),
    ):
        if url in crawl.seen and crawl.wants(f"{url} (errors)"):
            crawl.goto(url)
            crawl.state(f"{url} (errors)", action)


def test_every_page_passes_axe_and_the_html_checker_as_every_role(
    live_server, chromium, club, tmp_path
):
    """No axe violation on a desktop or a phone and no validator error, on any page."""
    require_tools()
    started = time.perf_counter()
    staff, links, two_factor = club
    served, violations, broken, checked = {}, {}, [], set()
    for role in [*staff, "visitor", "member", "two-factor"]:
        prefix = "/office/" if role in staff else "/mani-dati" if role == "member" else "/"
        crawl = Crawl(chromium, live_server, checked, prefix)
        if role == "visitor":
            _visitor(crawl)
            _links(crawl, links)
        elif role == "member":
            _member(crawl, links["my_data"])
        elif role == "two-factor":
            _two_factor(crawl, *two_factor)
        else:
            _staff(crawl, staff[role])
        crawl.close()
        assert crawl.served, role
        took = time.perf_counter() - started
        print(f"{role}: {len(crawl.served)} pages ({took:.1f} s): {' '.join(sorted(crawl.served))}")
        served.update({f"{role} {label}": html for label, html in crawl.served.items()})
        violations.update({f"{role} {label}": v for label, v in crawl.violations.items()})
        broken += [f"{role} {failure}" for failure in crawl.broken]
    errors, others = validate(served, tmp_path / "served")
    took = time.perf_counter() - started
    notes = defaultdict(list)
    for line in others:
        page, _, message = line.split(": ", 2)
        notes[message].append(page)
    print(f"\n{len(served)} pages in {took:.1f} s; the checker's warnings:")
    for message, pages in notes.items():
        print(f"  {message} ({len(pages)}: {', '.join(pages)})")
    assert broken == []
    assert not violations, "\n".join(
        f"{page}: {found}" for page, all_found in violations.items() for found in all_found
    )
    assert not errors, "\n".join(errors)
    assert not others, "\n".join(others)  # the checker's warnings too (none are left)


def test_the_first_administrators_page_passes_both_checkers(live_server, chromium, tmp_path):
    """The one-time link `make run` prints while a club has no staff: its page, and the page
    shown again with errors, on a desktop and a phone."""
    require_tools()
    token = staff_service.create_setup_token("first-admin")
    db.session.commit()
    db.session.close()
    crawl = Crawl(chromium, live_server, set(), "/office/")
    crawl.visit(f"/office/setup/{token}")
    crawl.state("/office/setup/<token> (errors)", _failed_password)
    crawl.close()
    assert "Lūdzu, izlabojiet:" in crawl.served["/office/setup/<token> (errors)"]
    assert not crawl.violations, crawl.violations
    errors, others = validate(crawl.served, tmp_path / "served")
    assert not errors, "\n".join(errors)
    assert not others, "\n".join(others)  # the checker's warnings too (none are left)


BAD_PAGE = """<!doctype html><html lang="lv"><head><meta charset="utf-8"><title>x</title></head>
<body><main><h1>x</h1><p id="twice">a</p><p id="twice">b</p><img src="x.png">
<table><tr><td>1</td></tr></table></main></body></html>"""


def test_the_checkers_find_the_faults_they_are_for(chromium, tmp_path):
    """axe flags an image without alt text, the Nu checker a duplicate id: a clean crawl means
    the checkers ran, not that they were silent."""
    require_tools()
    path = tmp_path / "bad.html"
    path.write_text(BAD_PAGE, encoding="utf-8")
    context = chromium.new_context()
    Axe.install(context)
    page = context.new_page()
    page.goto(path.as_uri())
    Axe.start(page)
    found = Axe.violations(page)
    context.close()
    assert any(v.startswith("image-alt (critical)") and "img" in v for v in found), found
    errors, _ = validate({"bad page": BAD_PAGE}, tmp_path / "served")
    assert any(e.startswith("bad page: line 2: Duplicate ID") for e in errors), errors
