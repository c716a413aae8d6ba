"""Who may open which report: every report route against every role, and anonymous visitors."""

import pytest

from clubsite.privacy.roles import ROLES
from clubsite.reports.groups import GROUPS

ALL = set(ROLES)
EXPECTED = {
    "members": {"admin"},
    "attendance": {"admin"},
    "fees": {"admin", "accountant"},
    "newsletter": {"admin", "marketing"},
    "privacy": {"admin"},
}
INDEX = {"admin", "accountant", "marketing"}
TABLE_ONLY = {("attendance", "checkins")}  # the heat map is a shaded table, not an SVG


def report_urls():
    """(url, roles allowed) of every report page, chart and CSV."""
    urls = [("/office/reports", INDEX)]
    for key, roles in EXPECTED.items():
        urls.append((f"/office/reports/{key}", roles))
        for section in GROUPS[key].sections:
            urls.append((f"/office/reports/{key}/{section}.csv", roles))
            if (key, section) not in TABLE_ONLY:
                urls.append((f"/office/reports/{key}/{section}.svg", roles))
    return urls


def test_every_report_route_is_in_the_table(app):
    """No report route exists that this matrix does not check."""
    rules = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("backoffice.report")
    }
    expected = {"backoffice.reports"} | {
        f"backoffice.reports_{key}{suffix}" for key in EXPECTED for suffix in ("", "_chart", "_csv")
    }
    assert rules == expected
    assert set(GROUPS) == set(EXPECTED)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_matrix(client_for, role):
    """Allowed roles get 200 on every report URL; every other role gets 403."""
    client = client_for(role)
    failures = []
    for url, allowed in report_urls():
        status = client.get(url).status_code
        if status != (200 if role in allowed else 403):
            failures.append(f"{url} -> {status}")
    assert not failures, f"{role}: {failures}"


def test_anonymous_is_sent_to_login(client):
    """Without a login every report URL redirects to the login page."""
    for url, _allowed in report_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/office/login" in response.headers["Location"], url


def test_reports_need_no_training_but_nothing_personal(client_for):
    """Reports are counts, not personal data: an untrained accountant opens the fees report,
    while the fees pages with names still send them to the training."""
    client = client_for("accountant", trained=False)
    assert client.get("/office/reports/fees").status_code == 200
    assert client.get("/office/fees").status_code == 302


@pytest.mark.parametrize(
    "role, shown", [("admin", True), ("accountant", True), ("marketing", True),
                    ("reception", False), ("staff", False)]
)  # fmt: skip
def test_menu_link(client_for, role, shown):
    """The office menu offers Reports to every role that may see a report, and only to them."""
    html = client_for(role).get("/office/", query_string={"lang": "en"}).get_data(as_text=True)
    assert ('href="/office/reports"' in html) == shown


def test_index_lists_only_the_groups_of_the_role(client_for):
    """Marketing sees the newsletter report and no other."""
    html = client_for("marketing").get("/office/reports").get_data(as_text=True)
    assert 'href="/office/reports/newsletter"' in html
    for other in ("members", "attendance", "fees", "privacy"):
        assert f'href="/office/reports/{other}"' not in html


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2025-13"},
        {"from": "25-01"},
        {"to": "2025-01", "from": "2025-02"},
        {"from": "2020-01", "to": "2023-01"},
        {"site": "00000000-0000-4000-8000-000000000000"},
        {"purpose": "medical"},
        {"from": "２０２５-01"},
    ],
)
def test_bad_filters_answer_400(client_for, query):
    """Only whole months (at most 36), a known site and a known purpose are accepted."""
    assert client_for("admin").get("/office/reports/members", query_string=query).status_code == 400


def test_unknown_section_is_404(client_for):
    """A chart or CSV of a section that does not exist is not found (not a 500)."""
    client = client_for("admin")
    assert client.get("/office/reports/members/nothing.csv").status_code == 404
    assert client.get("/office/reports/attendance/checkins.svg").status_code == 404
