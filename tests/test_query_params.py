"""Query parameters are parsed within bounds: a bad number or date answers 400 or is ignored,
never a 500 (a huge number used to raise OverflowError in the database driver)."""

import pytest

from clubsite.web.params import parse_day, parse_int

HUGE = "999999999999999999999"

# (role, url, statuses a bad value may give): 400 where the value is refused, 200 where the
# page ignores it and shows its default.
CASES = [
    ("admin", f"/office/members?before={HUGE}", 400),
    ("admin", "/office/members?before=-5", 400),
    ("admin", "/office/members?before=1e3", 400),
    ("admin", f"/office/members?location={HUGE}", 400),
    ("admin", "/office/members?location=-1", 400),
    ("admin", "/office/members?location=%D9%A3", 400),  # an Arabic-Indic digit
    ("admin", f"/office/audit?before={HUGE}", 200),
    ("admin", "/office/audit?before=-3", 200),
    ("admin", "/office/audit?to=9999-12-31", 200),
    ("admin", "/office/audit?from=0001-01-01&to=0001-01-01", 200),
    ("accountant", "/office/fees/export?kind=invoices&from=9999-12-01&to=9999-12-31", 302),
    ("accountant", "/office/fees/export?kind=invoices&from=0001-01-01&to=0001-01-31", 302),
    ("reception", "/office/bookings?day=9999-12-31", 200),
    ("reception", "/office/bookings/week?day=9999-12-31", 200),
    ("reception", "/office/bookings/week?day=0001-01-01", 200),
    ("reception", "/office/bookings/new?day=31.12.9999", 200),
]


@pytest.mark.parametrize(("role", "url", "status"), CASES)
def test_bad_query_values_never_give_a_server_error(client_for, role, url, status):
    """Each endpoint answers the bad value with 400, or ignores it, instead of failing."""
    client = client_for(role)
    response = client.get(url)
    assert response.status_code == status, url


def test_good_values_still_work(client_for):
    """In-range values pass: the member list's next page and location filter."""
    client = client_for("admin")
    assert client.get("/office/members?before=5&location=").status_code == 200
    assert client.get("/office/members?location=1").status_code == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42), (" 7 ", 7), ("0", None), ("-1", None), ("+1", None), ("1.0", None),
     (HUGE, None), (str(2**63 - 1), 2**63 - 1), (str(2**63), None), ("٣", None), ("", None)],
)  # fmt: skip
def test_parse_int_bounds(text, expected):
    """ASCII digits only, within 1 .. 2**63-1."""
    assert parse_int(text) == expected


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2026-11-29", True), ("2026-02-30", False), ("9999-12-31", False), ("0001-01-01", False),
     ("26-11-29", False), ("２０２６-11-29", False), ("2026-1-299", False)],
)  # fmt: skip
def test_parse_day_bounds(text, ok):
    """ISO dates between 1900 and 2999 only."""
    assert (parse_day(text) is not None) is ok
