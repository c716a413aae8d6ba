"""Fees report: invoiced, paid and overdue per month; direct debit, transfer and desk."""

from tests.reports.pages import by_label, csv_rows, table

EN = {"from": "2025-01", "to": "2025-02", "lang": "en"}


def test_invoiced_paid_and_overdue(client_for, fee_data):
    """Void invoices and payments the bank sent back do not count; overdue is by due month."""
    html = client_for("accountant").get("/office/reports/fees", query_string=EN)
    assert html.status_code == 200
    rows = table(html.get_data(as_text=True), "Invoiced, paid and overdue per month")
    assert rows[0] == [
        "Month", "Invoices", "Invoiced", "Payments", "Paid", "Overdue invoices", "Overdue",
    ]  # fmt: skip
    assert by_label(rows) == {
        "01.2025": ["8", "280,00 €", "8", "280,00 €", "0", "0,00 €"],
        "02.2025": ["5", "175,00 €", "0", "0,00 €", "5", "175,00 €"],
    }


def test_payment_channels_withhold_small_groups(client_for, fee_data):
    """Three transfers show as "< 5" and their sum as "–"; cash and card count as the desk."""
    client = client_for("admin")
    rows = table(
        client.get("/office/reports/fees", query_string=EN).get_data(as_text=True),
        "Direct debit, bank transfer and desk",
    )
    assert rows[0][1:] == [
        "Direct debit", "Direct debit, euros", "Bank transfer", "Bank transfer, euros",
        "At the desk", "At the desk, euros",
    ]  # fmt: skip
    assert by_label(rows)["01.2025"] == ["0", "0,00 €", "< 5", "–", "5", "175,00 €"]
    download = client.get("/office/reports/fees/channels.csv", query_string=EN)
    assert csv_rows(download)[1] == ["01.2025", "0", "0,00", "< 5", "–", "5", "175,00"]
