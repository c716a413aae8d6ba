"""Reading report pages and CSV files back as rows, the way a person reads them."""

import csv
import io

import lxml.html


def tables(html):
    """{caption: [[row heading, cell, ...], ...]} of every table on a page, with its header."""
    tree = lxml.html.fromstring(html)
    out = {}
    for table in tree.iter("table"):
        caption = " ".join(table.findtext("caption", "").split())
        rows = []
        for row in table.iter("tr"):
            rows.append([" ".join(cell.text_content().split()) for cell in row])
        out[caption] = rows
    return out


def table(html, caption):
    """The rows of the table with this caption (header first); fails if there is none."""
    found = tables(html)
    assert caption in found, f"no table {caption!r} in {sorted(found)}"
    return found[caption]


def by_label(rows):
    """{row heading: [cells]} of a table's body rows."""
    return {row[0]: row[1:] for row in rows[1:]}


def csv_rows(response):
    """The rows of a CSV download (semicolon-separated, with a byte order mark)."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
