"""A report section as CSV: the same cells as the page, small groups withheld the same way.

Semicolon-separated with a UTF-8 byte order mark, as spreadsheets in a Latvian locale expect
(like the bookkeeper's export, clubsite.fees.export); every cell goes through safe_cell.
"""

import csv
import io

from clubsite.csvsafe import safe_cell


def section_csv(section):
    """The section's heading row and its rows, as the text of a CSV file."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    heading = [str(section.row_heading), *(str(column) for column in section.columns)]
    writer.writerow([safe_cell(value) for value in heading])
    for label, cells in section.rows:
        writer.writerow([safe_cell(str(label)), *(safe_cell(cell.csv_text) for cell in cells)])
    return buffer.getvalue()


def filename(group, section, filters):
    """report-members-joined-2026-01-2026-12.csv (no one's name, only the report's)."""
    return f"report-{group}-{section.key}-{filters.first}-{filters.last}.csv"
