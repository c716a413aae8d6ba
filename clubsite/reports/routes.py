"""Report pages, their charts (SVG, for <img>) and CSV downloads, one set per report group.

Reports show counts and sums of groups, never one person: a count under 5 is withheld before it
leaves clubsite.reports.cells, and the filters name no one. Aggregates like these are not
personal data, so reading a report writes no audit event and needs no policy training; the
pages are still never cached (Cache-Control: no-store is set on every page, clubsite.security).
"""

from flask import Response, abort, render_template
from flask_login import current_user

from clubsite.downloads import download
from clubsite.privacy.purposes import PURPOSES
from clubsite.reports import cache, charts, export, filters
from clubsite.reports.cells import WITHHELD_NOTE
from clubsite.reports.groups import GROUPS, visible_to
from clubsite.reports.labels import purpose_label
from clubsite.web import office
from clubsite.web.guard import requires


@office.route("/reports")
@requires("reports")
def reports():
    """The report groups this staff member may open."""
    return render_template("reports/index.html", groups=visible_to(current_user))


def _filters(group):
    return filters.from_request(site=group.site_filter, purpose=group.purpose_filter)


def _section(group, key):
    section = group.section(key, _filters(group))
    return section if section is not None else abort(404)


def _page_view(group):
    def view():
        chosen = _filters(group)
        return render_template(
            "reports/group.html",
            group=group,
            groups=visible_to(current_user),
            filters=chosen,
            sections=group.build(chosen),
            sites=filters.sites() if group.site_filter else [],
            purposes=[(p, purpose_label(p)) for p in PURPOSES] if group.purpose_filter else [],
            withheld_note=WITHHELD_NOTE,
            fresh_seconds=cache.seconds(),
        )

    view.__doc__ = f"The {group.key} report page."
    return view


def _chart_view(group):
    def view(section):
        found = _section(group, section)
        if found.chart not in charts.KINDS:
            abort(404)  # a table-only section (the heat map is its own picture)
        return Response(charts.render_svg(found), mimetype="image/svg+xml")

    view.__doc__ = f"A chart of the {group.key} report, as SVG."
    return view


def _csv_view(group):
    def view(section):
        found = _section(group, section)
        return download(
            export.section_csv(found), export.filename(group.key, found, _filters(group))
        )

    view.__doc__ = f"A table of the {group.key} report, as CSV."
    return view


def _register(group):
    """The page, chart and CSV routes of a group, each behind the group's permission."""
    base = f"/reports/{group.key}"
    endpoint = f"reports_{group.key}"
    needs = requires(group.permission)
    office.add_url_rule(base, endpoint, needs(_page_view(group)))
    office.add_url_rule(f"{base}/<section>.svg", f"{endpoint}_chart", needs(_chart_view(group)))
    office.add_url_rule(f"{base}/<section>.csv", f"{endpoint}_csv", needs(_csv_view(group)))


for _group in GROUPS.values():
    _register(_group)
