"""Data protection report: subject requests and deadlines, breaches, erasures per month."""

from tests.reports.pages import by_label, table

EN = {"from": "2025-01", "to": "2025-01", "lang": "en"}


def _page(client_for):
    response = client_for("admin").get("/office/reports/privacy", query_string=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_requests_per_month(client_for, protection_data):
    """Requests by the month received, one column per kind."""
    rows = table(_page(client_for), "Subject requests per month")
    assert rows[0][1:3] == ["Access (a copy of their data)", "Rectification"]
    assert by_label(rows) == {"01.2025": ["5", "0", "< 5", "0", "0", "0"]}


def test_deadlines(client_for, protection_data):
    """Open requests against their deadline today; those answered in the months, on time."""
    assert by_label(table(_page(client_for), "Subject request deadlines")) == {
        "Open, past the deadline": ["5"],
        "Open, due within 7 days": ["< 5"],
        "Open, due later": ["0"],
        "Answered on time (in these months)": ["7"],
        "Answered late (in these months)": ["0"],
    }


def test_breaches_and_the_72_hour_clock(client_for, protection_data):
    """Breaches by detection month, told within 72 hours or later."""
    assert by_label(table(_page(client_for), "Breaches per month")) == {
        "01.2025": ["5", "< 5", "0"]
    }


def test_erasures_per_month(client_for, protection_data):
    """The erasure journal by reason."""
    rows = table(_page(client_for), "Erasures per month")
    assert rows[0][1:] == [
        "On request", "Retention period over", "Consent never confirmed",
        "Merged into another member",
    ]  # fmt: skip
    assert by_label(rows) == {"01.2025": ["6", "< 5", "0", "0"]}
