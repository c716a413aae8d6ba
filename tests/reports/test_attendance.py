"""Attendance report: a heat map of check-ins per site, and hall occupancy per week."""

from tests.reports.conftest import last_week_day
from tests.reports.pages import by_label, csv_rows, table

EN = {"from": "2025-01", "to": "2025-01", "lang": "en"}


def _weekday(day):
    return day.strftime("%A")


def test_heat_map_per_site_in_riga_time(client_for, attendance_data):
    """Check-ins are placed by Riga's weekday and hour; refused ones are not counted; a group of
    3 is withheld; each site has its own map, darker where busier."""
    page = client_for("admin").get("/office/reports/attendance", query_string=EN)
    html = page.get_data(as_text=True)
    riga_rows = table(html, "Check-ins by weekday and hour · Rīga – centrs")
    hours = riga_rows[0][1:]
    assert hours[0] == "07" and "18" in hours and hours[-1] == "21"
    rows = by_label(riga_rows)
    monday, tuesday = _weekday(last_week_day(0)), _weekday(last_week_day(1))
    assert rows[monday][hours.index("18")] == "7"
    assert rows[tuesday][hours.index("09")] == "< 5"
    assert sum(cell not in ("0",) for row in rows.values() for cell in row) == 2
    jurmala = by_label(table(html, "Check-ins by weekday and hour · Jūrmala"))
    assert jurmala[_weekday(last_week_day(2))][hours.index("07")] == "5"
    assert 'class="num heat-5">7<' in html
    assert 'class="num heat-0 withheld">&lt; 5<' in html


def test_heat_map_csv_has_every_site(client_for, attendance_data):
    """The CSV holds each site's rows, withheld the same way."""
    response = client_for("admin").get("/office/reports/attendance/checkins.csv", query_string=EN)
    rows = csv_rows(response)
    hours = rows[0][1:]
    found = {row[0]: row[1:] for row in rows[1:]}
    monday = f"Rīga – centrs – {_weekday(last_week_day(0))}"
    assert found[monday][hours.index("18")] == "7"
    assert found[f"Rīga – centrs – {_weekday(last_week_day(1))}"][hours.index("09")] == "< 5"


def test_one_site_only(client_for, attendance_data):
    """With a site chosen, only its map is shown."""
    args = {**EN, "site": attendance_data.jurmala.public_id}
    html = client_for("admin").get("/office/reports/attendance", query_string=args)
    html = html.get_data(as_text=True)
    assert "Check-ins by weekday and hour · Jūrmala" in html
    assert "Check-ins by weekday and hour · Rīga – centrs" not in html


def test_hall_occupancy_per_week(client_for, attendance_data):
    """Hours booked per week from Monday (Riga time): 00:30 on Monday 13 January is that week,
    though it is Sunday in UTC. Halls of the same name are told apart by their site."""
    html = client_for("admin").get("/office/reports/attendance", query_string=EN)
    rows = table(html.get_data(as_text=True), "Hall occupancy per week")
    assert rows[0] == ["Week from", "Lielā zāle (Jūrmala)", "Lielā zāle (Rīga – centrs)"]
    assert by_label(rows) == {
        "30.12.2024": ["0,0", "0,0"],
        "06.01.2025": ["0,0", "3,5"],
        "13.01.2025": ["0,0", "1,0"],
        "20.01.2025": ["0,0", "0,0"],
        "27.01.2025": ["0,0", "0,0"],
    }
