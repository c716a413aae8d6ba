"""Members report: joined and left per month, by purpose and site; current members by plan."""

from tests.reports.conftest import RANGE
from tests.reports.pages import by_label, csv_rows, table

EN = {**RANGE, "lang": "en"}
PURPOSES = ["Club access", "Fee administration", "News and offers", "Hall bookings"]


def test_joined_per_month_by_purpose(client_for, member_data):
    """Enrolments count in the Riga month they began: 00:30 on 1 February is February."""
    page = client_for("admin").get("/office/reports/members", query_string=EN)
    assert page.status_code == 200
    rows = table(page.get_data(as_text=True), "Joined per month · Whole club")
    assert rows[0] == ["Month", *PURPOSES]
    assert by_label(rows) == {
        "01.2025": ["9", "0", "7", "0"],
        "02.2025": ["0", "5", "0", "0"],
        "03.2025": ["0", "0", "0", "0"],
    }


def test_joined_at_one_site_withholds_a_group_of_three(client_for, member_data):
    """Three people joined at Jūrmala: the page, its table and its CSV say "< 5", not 3."""
    client = client_for("admin")
    args = {**EN, "site": member_data.jurmala.public_id}
    page = client.get("/office/reports/members", query_string=args).get_data(as_text=True)
    rows = by_label(table(page, "Joined per month · Jūrmala"))
    assert rows["01.2025"] == ["< 5", "0", "0", "0"]
    assert "Fewer than 5 people or events are shown as" in page
    download = client.get("/office/reports/members/joined.csv", query_string=args)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert csv_rows(download)[1] == ["01.2025", "< 5", "0", "0", "0"]


def test_joined_at_riga_and_for_one_purpose(client_for, member_data):
    """The site and purpose filters narrow the counts; nothing else can."""
    client = client_for("admin")
    args = {**EN, "site": member_data.riga.public_id, "purpose": "access"}
    page = client.get("/office/reports/members", query_string=args).get_data(as_text=True)
    rows = table(page, "Joined per month · Rīga – centrs")
    assert rows[0] == ["Month", "Club access"]
    assert by_label(rows)["01.2025"] == ["6"]


def test_left_this_month(client_for, member_data):
    """Purposes ended (from the audit log) and people erased (the journal, merges left out)."""
    client = client_for("admin")
    month = _this_month()
    args = {"from": month, "to": month, "lang": "en"}
    page = client.get("/office/reports/members", query_string=args).get_data(as_text=True)
    rows = table(page, "Left per month · Whole club")
    assert rows[0] == ["Month", *PURPOSES, "Left the club (erased)"]
    assert rows[1][1:] == ["< 5", "0", "6", "0", "7"]


def test_current_members_by_plan(client_for, member_data):
    """Memberships valid today, per plan; two on the year plan are withheld."""
    client = client_for("admin")
    page = client.get("/office/reports/members", query_string=EN).get_data(as_text=True)
    assert by_label(table(page, "Current members by plan · Whole club")) == {
        "Gada abonements": ["< 5"],
        "Mēneša abonements": ["6"],
    }
    args = {**EN, "site": member_data.riga.public_id}
    page = client.get("/office/reports/members", query_string=args).get_data(as_text=True)
    assert by_label(table(page, "Current members by plan · Rīga – centrs")) == {
        "Gada abonements": ["< 5"],
        "Mēneša abonements": ["5"],
    }


def test_the_page_reads_in_latvian(client_for, member_data):
    """Latvian is the default: headings, purposes and the withheld note are translated."""
    page = client_for("admin").get("/office/reports/members", query_string=RANGE)
    text = page.get_data(as_text=True)
    rows = table(text, "Pievienojušies pa mēnešiem · Viss klubs")
    assert rows[0][0] == "Mēnesis"
    assert "Maksu administrēšana" in rows[0]
    assert "Mazāk nekā 5 cilvēki vai notikumi" in text


def _this_month():
    from clubsite.i18n import today_local

    return today_local().strftime("%Y-%m")


def test_csv_cells_cannot_run_as_formulas(client_for, member_data):
    """A plan named like a formula is neutralised in the CSV (clubsite.csvsafe)."""
    from datetime import timedelta

    from clubsite.extensions import db
    from clubsite.fees.models import Membership, Plan
    from clubsite.i18n import today_local
    from clubsite.privacy.models import Member

    plan = Plan(name="=HYPERLINK(1)", price_cents=100, period="month")
    member = Member(location_id=member_data.riga.id)
    db.session.add_all([plan, member])
    db.session.flush()
    today = today_local()
    db.session.add(
        Membership(
            member_id=member.id,
            plan_id=plan.id,
            starts_on=today,
            ends_on=today + timedelta(days=3),
        )
    )
    response = client_for("admin").get("/office/reports/members/plans.csv", query_string=EN)
    assert ["'=HYPERLINK(1)", "< 5"] in csv_rows(response)
