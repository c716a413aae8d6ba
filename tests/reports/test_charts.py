"""Charts are SVG images without scripts, served under the unchanged strict CSP."""

import re

import pygal

from clubsite.reports.charts import render_svg
from clubsite.reports.groups import GROUPS
from tests.reports.conftest import RANGE

# The CSP as the security review set it (clubsite/security.py): reports must not loosen it.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def test_pygal_alone_would_embed_a_script():
    """Why the filter exists: pygal writes a <script> even with js=[]."""
    chart = pygal.Bar(js=[])
    chart.add("a", [1, 2])
    assert b"<script" in chart.render()


def test_every_chart_is_an_svg_without_script(client_for, member_data, fee_data):
    """Each chart answers image/svg+xml with no <script>, and draws no withheld group."""
    client = client_for("admin")
    for key, group in GROUPS.items():
        for section in group.sections:
            if (key, section) == ("attendance", "checkins"):
                continue
            response = client.get(f"/office/reports/{key}/{section}.svg", query_string=RANGE)
            assert response.status_code == 200, (key, section)
            assert response.mimetype == "image/svg+xml"
            body = response.get_data()
            assert body.startswith(b"<?xml")
            assert b"<script" not in body.lower(), (key, section)
            assert b"<svg" in body
            assert response.headers["Content-Security-Policy"] == CSP
            assert response.headers["Cache-Control"] == "no-store"


def test_withheld_counts_are_not_drawn(app, client_for, member_data):
    """The Jūrmala chart has one group of 3: it is drawn as nothing, not as a bar of 3."""
    from clubsite.reports.cells import Section, count

    section = Section("t", "t", "", "Month", ["A"], rows=[("01.2025", [count(3)])])
    assert section.series == [("A", [None])]
    svg = render_svg(section)
    assert b"<script" not in svg
    shown = Section("t", "t", "", "Month", ["A"], rows=[("01.2025", [count(6)])])
    assert b'class="rect reactive tooltip-trigger"' in render_svg(shown)
    assert b'class="rect reactive tooltip-trigger"' not in svg


def test_pages_keep_the_csp_and_show_charts_as_images(client_for, member_data):
    """The page refers to its charts with <img> (no inline SVG or script), under the same CSP."""
    response = client_for("admin").get("/office/reports/members", query_string=RANGE)
    html = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Cache-Control"] == "no-store"
    assert '<img src="/office/reports/members/joined.svg?from=2025-01&amp;to=2025-03"' in html
    assert "<svg" not in html
    # Scripts only from the site's own files (the page kit's), none inline.
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert "style=" not in html
