"""Charts drawn on the server as SVG (pygal), shown with <img> under the strict CSP.

pygal embeds a <script> (its config, and the tooltip script unless `js=[]`) in every chart; the
CSP forbids inline scripts, and a chart needs none, so an XML filter removes every <script>
element before the SVG is written, and rendering refuses an SVG that still holds one. The chart
keeps pygal's own <style> inside the SVG: an SVG shown through <img> is a separate image document,
which browsers render with its styles and never run scripts in.
"""

import pygal
from flask_babel import lazy_gettext as _l
from pygal.style import Style

from clubsite.reports.cells import Section

NO_DATA = _l("Nothing to show for these months.")

STYLE = Style(
    background="#ffffff",  # always white: readable on the dark theme's page too
    plot_background="#ffffff",
    foreground="#18212b",
    foreground_strong="#18212b",
    foreground_subtle="#dde3ea",
    opacity=".85",
    opacity_hover="1",
    transition="none",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    colors=("#1d5a9e", "#b7791f", "#1a7342", "#b3261e", "#6b4fa0", "#525d6a", "#0f7c8c"),
)
KINDS = {
    "bar": pygal.Bar,
    "stacked": pygal.StackedBar,
    "line": pygal.Line,
}
WIDTH, HEIGHT = 880, 380


class UnsafeChart(Exception):
    """A rendered chart still holds a script: it is not served."""


def _without_scripts(root):
    """pygal's XML filter: drop every <script> element, wherever it is."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def chart_for(section: Section):
    """The pygal chart of a section: rows along the x axis, one series per drawn column."""
    kind = KINDS.get(section.chart, pygal.Bar)
    chart = kind(
        js=[],  # no tooltip script from a CDN (the CSP would refuse it anyway)
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        x_label_rotation=30 if len(section.rows) > 8 else 0,
        truncate_label=24,
        truncate_legend=40,
        print_values=False,
        show_y_guides=True,
        include_x_axis=True,
        min_scale=2,
        max_scale=8,
        value_formatter=lambda v: f"{v:,.0f}".replace(",", "\u00a0"),
        no_data_text=str(NO_DATA),
        margin=12,
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = [str(label) for label, _cells in section.rows]
    for label, values in section.series:
        chart.add(str(label), values)
    return chart


def render_svg(section: Section):
    """The chart of a section as SVG bytes, without any script."""
    svg = chart_for(section).render()
    if b"<script" in svg.lower():
        raise UnsafeChart(section.key)
    return svg
