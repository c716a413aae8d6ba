"""Newsletter report: campaigns with their recipients, sent, failed and unsubscribed; the
consent ledger's opt-ins and withdrawals per month."""

from tests.reports.pages import by_label, csv_rows, table

EN = {"from": "2025-01", "to": "2025-01", "lang": "en"}


def test_campaigns(client_for, newsletter_data):
    """One row per sent campaign (drafts left out); small figures withheld."""
    html = client_for("marketing").get("/office/reports/newsletter", query_string=EN)
    assert html.status_code == 200
    rows = table(html.get_data(as_text=True), "Campaigns")
    assert rows[0] == ["Campaign", "Recipients", "Sent", "Failed", "Unsubscribed after it"]
    assert by_label(rows) == {
        "20.01.2025 Janvāra jaunumi": ["7", "6", "< 5", "5"],
        "25.01.2025 =1+1 akcija": ["< 5", "< 5", "0", "0"],
    }


def test_campaign_csv(client_for, newsletter_data):
    """The CSV names campaigns by date and subject, the date in the reader's convention."""
    response = client_for("admin").get("/office/reports/newsletter/campaigns.csv", query_string=EN)
    labels = [row[0] for row in csv_rows(response)[1:]]
    assert labels == ["20.01.2025 Janvāra jaunumi", "25.01.2025 =1+1 akcija"]
    response = client_for("admin").get(
        "/office/reports/newsletter/campaigns.csv", query_string={**EN, "lang": "lv"}
    )
    assert [row[0] for row in csv_rows(response)[1:]][1] == "25.01.2025. =1+1 akcija"


def test_opt_ins_and_withdrawals(client_for, newsletter_data):
    """Confirmed consents are opt-ins ('given' alone is not); 3 withdrawals are withheld."""
    html = client_for("marketing").get("/office/reports/newsletter", query_string=EN)
    rows = table(html.get_data(as_text=True), "Opt-ins and withdrawals per month")
    assert rows[0] == ["Month", "Opt-ins (confirmed)", "Consent withdrawn", "Objections"]
    assert by_label(rows) == {"01.2025": ["6", "< 5", "0"]}
