"""What a report shows: sections of labelled rows of cells, small groups already withheld.

A count under MIN_GROUP (1 to 4) could point at one person, so it leaves this module only as
"< 5": on the page, in the CSV and in the chart (where it is not drawn). An amount of money is
withheld the same way when fewer than MIN_GROUP invoices or payments make it up. The raw numbers
never reach a template, a CSV or a chart: each cell carries only what may be shown.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from clubsite.fees.money import cents_to_text
from clubsite.i18n import format_money

MIN_GROUP = 5
SMALL = f"< {MIN_GROUP}"
WITHHELD = "–"  # an amount made up by a small group: not shown
SHADES = 5  # heat-map shades 1..5 (0: nothing to shade)


def _number(value):
    """12 345 (grouped with a no-break space, as the club writes numbers)."""
    return f"{int(value):,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class Cell:
    """One value as it may be shown: its text, the number to draw (None: not drawn), whether a
    small group was withheld, its heat-map shade (0..SHADES, set by Section.shaded) and its
    CSV text (digits without grouping, so a spreadsheet reads a number)."""

    text: str
    plot: float | None = None
    withheld: bool = False
    shade: int = 0
    csv: str | None = None

    @property
    def csv_text(self):
        """What the CSV holds: the plain number, or the text shown."""
        return self.text if self.csv is None else self.csv


def count(n):
    """A count of people or events; 1 to 4 is withheld."""
    n = int(n or 0)
    if 0 < n < MIN_GROUP:
        return Cell(SMALL, None, True)
    return Cell(_number(n), n, csv=str(n))


def money(cents, how_many):
    """A sum in euros (12,50 €) made up of how_many invoices or payments; withheld if few."""
    if 0 < int(how_many or 0) < MIN_GROUP:
        return Cell(WITHHELD, None, True)
    cents = int(cents or 0)
    return Cell(format_money(cents), cents / 100, csv=cents_to_text(cents))


def hours(seconds):
    """Booked hours of a hall (times only, like the occupancy page every staff member sees)."""
    value = round(float(seconds or 0) / 3600, 1)
    text = f"{value:.1f}".replace(".", ",")
    return Cell(text, value, csv=text)


def text(value):
    """A label or a date: shown as it is, never drawn."""
    return Cell(str(value))


@dataclass
class Section:
    """One table of a report (and its chart): rows of (label, cells) under column headings.

    chart: "bar", "stacked", "line", "heat" (the table itself, shaded) or "" (a table only).
    plotted: the indexes of the columns the chart draws (all by default).
    """

    key: str
    title: object
    note: object
    row_heading: object
    columns: list
    rows: list = field(default_factory=list)
    chart: str = "bar"
    plotted: list | None = None
    group: str = ""  # e.g. a site's name, when a report has one section per site

    @property
    def withheld(self):
        """True if any cell was withheld (the page then says why)."""
        return any(cell.withheld for _label, cells in self.rows for cell in cells)

    @property
    def series(self):
        """(column label, [numbers to draw, None where withheld]) for each drawn column."""
        indexes = self.plotted if self.plotted is not None else range(len(self.columns))
        return [(self.columns[i], [cells[i].plot for _label, cells in self.rows]) for i in indexes]

    @property
    def empty(self):
        """True when there is nothing to show."""
        return not self.rows

    def shaded(self):
        """The same section with each drawn cell given a shade relative to the largest one."""
        largest = max((c.plot for _l, cells in self.rows for c in cells if c.plot), default=0)
        rows = []
        for label, cells in self.rows:
            rows.append((label, [_shade(cell, largest) for cell in cells]))
        self.rows = rows
        return self


def _shade(cell, largest):
    if not cell.plot or not largest:
        return cell
    level = max(1, min(SHADES, round(SHADES * cell.plot / largest)))
    return Cell(cell.text, cell.plot, cell.withheld, level, cell.csv)


WITHHELD_NOTE = _l(
    "Fewer than 5 people or events are shown as “< 5” (and amounts made up of fewer than 5 as "
    "“–”), so that no one can be singled out; the chart does not draw them."
)
