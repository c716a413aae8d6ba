"""The invoice as a document: what it says, its A4 PDF, and the context of its print page.

What Latvian accounting law asks of a source document (Grāmatvedības likums): its name and
number, the date, the club's name, registration number, address and bank account, the buyer's
name (and personal code only where the member asked for it on invoices: the invoice's own copy
holds it only then), each line with its period and amount, the total, the due date, and the
payment reference to write on a bank transfer (the invoice number), with the note that the
document was prepared electronically and is valid without a signature. The text is in the
member's language, amounts as 1 234,50 € and dates as 01.12.2026.

`invoice_document` decrypts the invoice's copy of the buyer: its caller audits the read.
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import TextMode
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.fees import pdf_fonts
from clubsite.fees.invoices import buyer_details
from clubsite.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_date, format_money
from clubsite.privacy.models import Member

MARGIN = 18  # mm, on A4 (210 x 297)
BOLD_STROKE = 0.16  # mm: the outline that makes regular text bold
WIDTH = 210 - 2 * MARGIN


@dataclass(frozen=True)
class Club:
    """The club as its invoices name it (settings CLUB_*)."""

    name: str
    reg_number: str
    address: str
    iban: str
    bank: str
    email: str
    phone: str

    @classmethod
    def from_config(cls, config):
        """The club from the app's settings."""
        return cls(
            *(str(config.get(f"CLUB_{key}") or "") for key in ("NAME", "REG_NUMBER", "ADDRESS")),
            iban=str(config.get("CLUB_IBAN") or ""),
            bank=str(config.get("CLUB_BANK") or ""),
            email=str(config.get("CLUB_EMAIL") or ""),
            phone=str(config.get("CLUB_PHONE") or ""),
        )


@dataclass(frozen=True)
class Line:
    """One line of an invoice: what, for which period, how much."""

    description: str
    period_start: object
    period_end: object
    amount_cents: int


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything an invoice document shows, in plain values."""

    number: str
    issued_on: object
    due_on: object
    status: str
    buyer_name: str
    buyer_personal_code: str
    buyer_address: str
    lines: tuple
    total_cents: int
    paid_cents: int
    club: Club
    language: str

    @property
    def remaining_cents(self):
        """What is still to pay."""
        return max(self.total_cents - self.paid_cents, 0)


def member_language(invoice):
    """The language of the invoice's member (Latvian once the member is erased)."""
    if invoice.member_id is None:
        return DEFAULT_LANGUAGE
    language = db.session.scalar(select(Member.language).where(Member.id == invoice.member_id))
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def invoice_document(invoice, *, language=None):
    """The document of an invoice, in the given language (default: its member's)."""
    buyer = buyer_details(invoice)
    line = Line(invoice.description, invoice.period_start, invoice.period_end, invoice.amount_cents)
    return InvoiceDocument(
        number=invoice.number,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        status=invoice.status,
        buyer_name=buyer.get("buyer_name", ""),
        buyer_personal_code=buyer.get("buyer_personal_code", ""),
        buyer_address=buyer.get("buyer_address", ""),
        lines=(line,),
        total_cents=invoice.amount_cents,
        paid_cents=invoice.paid_cents,
        club=Club.from_config(current_app.config),
        language=language or member_language(invoice),
    )


def pdf_filename(doc):
    """rekins-2026-000123.pdf (Latvian) or invoice-2026-000123.pdf."""
    stem = "rekins" if doc.language == "lv" else "invoice"
    return f"{stem}-{doc.number}.pdf"


def texts(doc):
    """Every label and value of the document, in its language (the print page shows the same)."""
    with force_locale(doc.language):
        club = doc.club
        return {
            "title": _("Invoice No. %(number)s", number=doc.number),
            "void": _("VOID") if doc.status == "void" else "",
            "date": (_("Date"), format_date(doc.issued_on)),
            "due": (_("Due date"), format_date(doc.due_on)),
            "supplier": _("Service provider"),
            "buyer": _("Service recipient"),
            "club": [
                club.name,
                *(
                    [_("Registration No. %(number)s", number=club.reg_number)]
                    if club.reg_number
                    else []
                ),
                *([club.address] if club.address else []),
                *([_("Bank account %(iban)s", iban=club.iban)] if club.iban else []),
                *([club.bank] if club.bank else []),
                " · ".join(v for v in (club.email, club.phone) if v),
            ],
            "buyer_lines": [
                doc.buyer_name,
                *(
                    [_("Personal code %(code)s", code=doc.buyer_personal_code)]
                    if doc.buyer_personal_code
                    else []
                ),
                *([doc.buyer_address] if doc.buyer_address else []),
            ],
            "columns": (_("Description"), _("Period"), _("Amount")),
            "lines": [
                (
                    line.description,
                    f"{format_date(line.period_start)} – {format_date(line.period_end)}",
                    format_money(line.amount_cents),
                )
                for line in doc.lines
            ],
            "total": (_("Total"), format_money(doc.total_cents)),
            "paid": (_("Paid"), format_money(doc.paid_cents)) if doc.paid_cents else None,
            "to_pay": (_("To pay"), format_money(doc.remaining_cents)) if doc.paid_cents else None,
            "reference": (_("Payment reference"), doc.number),
            "reference_note": _(
                "Please pay by %(date)s, with the invoice number %(number)s as the payment "
                "reference of your bank transfer.",
                number=doc.number,
                date=format_date(doc.due_on),
            ),
            "payee": (_("Pay to"), ", ".join(v for v in (club.name, club.iban) if v)),
            "electronic": _(
                "The document was prepared electronically and is valid without a signature."
            ),
        }


class _Pdf(FPDF):
    """An A4 page in the invoice font, written line by line from the top.

    Text is placed with `text()` at a running position (`self.line_y`) rather than with cells:
    a cell lays its text out as fragments and costs five times as much, and an invoice is a
    few dozen short lines. Bold is the regular weight drawn filled and outlined (text rendering
    mode 2): one embedded font instead of two halves the time of a PDF, because fontTools cuts
    every embedded font down to the glyphs used.
    """

    def __init__(self, footer):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.line_y = MARGIN

    def use_fonts(self, files):
        """Add the font (its bounding boxes kept as cut, see below)."""
        for style, path in files.items():
            self.add_font(pdf_fonts.FAMILY, style, str(path))
        for font in self.fonts.values():
            # Recomputing every glyph's bounding box on output (fontTools' default) is half
            # the time of a PDF; the cut font's boxes are already right.
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.recalcBBoxes = False

    def put(self, x, text, *, size=10, bold=False, right=None, gray=False):
        """Text on the current line at x (or ending at `right`), at a size, maybe bold or gray."""
        self.set_font(pdf_fonts.FAMILY, "", size)
        if right is not None:
            x = right - self.get_string_width(text)
        if gray:
            self.set_text_color(80)
        if bold:
            with self.local_context(text_mode=TextMode.FILL_STROKE, line_width=BOLD_STROKE):
                self.text(x, self.line_y, text)
        else:
            self.text(x, self.line_y, text)
        if gray:
            self.set_text_color(0)

    def down(self, mm):
        """Move the writing line down."""
        self.line_y += mm

    def wrap(self, text, width, size=10):
        """Lines of at most `width` mm, broken at spaces."""
        self.set_font(pdf_fonts.FAMILY, "", size)
        lines, line = [], ""
        for word in text.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and self.get_string_width(candidate) > width:
                lines.append(line)
                candidate = word
            line = candidate
        return [*lines, line]

    def footer(self):
        """The note that the document is valid without a signature, on every page."""
        self.set_font(pdf_fonts.FAMILY, "", 8)
        x = (210 - self.get_string_width(self.footer_text)) / 2
        self.set_text_color(80)
        self.text(x, 297 - MARGIN, self.footer_text)
        self.set_text_color(0)


def _flat(value):
    if isinstance(value, list | tuple):
        return [text for item in value for text in _flat(item)]
    return [value] if isinstance(value, str) else []


def render_pdf(doc):
    """The invoice's PDF (bytes)."""
    words = texts(doc)
    pdf = _Pdf(words["electronic"])
    pdf.set_title(words["title"])
    pdf.set_author(doc.club.name)
    pdf.set_creator("clubsite")
    pdf.use_fonts(pdf_fonts.font_files(pdf_fonts.tier_for(_flat(list(words.values())))))
    pdf.add_page()
    _header(pdf, words)
    _parties(pdf, words)
    _lines(pdf, words)
    _payment(pdf, words)
    return bytes(pdf.output())


RIGHT = MARGIN + WIDTH


def _header(pdf, words):
    pdf.down(6)
    pdf.put(MARGIN, words["title"], size=17, bold=True)
    if words["void"]:
        pdf.down(8)
        pdf.set_text_color(180, 0, 0)
        pdf.put(MARGIN, words["void"], size=15, bold=True)
        pdf.set_text_color(0)
    pdf.down(3)
    for label, value in (words["date"], words["due"]):
        pdf.down(5.5)
        pdf.put(MARGIN, f"{label}:")
        pdf.put(MARGIN + 40, value)
    pdf.down(11)


def _parties(pdf, words):
    top = bottom = pdf.line_y
    half = WIDTH / 2
    columns = ((words["supplier"], words["club"]), (words["buyer"], words["buyer_lines"]))
    for column, (heading, lines) in enumerate(columns):
        x = MARGIN + column * half
        pdf.line_y = top
        pdf.put(x, heading.upper(), size=8.5, bold=True, gray=True)
        for index, text in enumerate(line for line in lines if line):
            for part in pdf.wrap(text, half - 4):
                pdf.down(5)
                pdf.put(x, part, bold=index == 0)
        bottom = max(bottom, pdf.line_y)
    pdf.line_y = bottom + 12


def _lines(pdf, words):
    columns = (MARGIN + 1.5, MARGIN + WIDTH - 90 + 1.5)  # description, period; amount at right
    pdf.set_fill_color(235)
    pdf.rect(MARGIN, pdf.line_y - 5, WIDTH, 7, style="F")
    for x, heading in zip(columns, words["columns"][:2], strict=True):
        pdf.put(x, heading, size=9.5, bold=True)
    pdf.put(0, words["columns"][2], size=9.5, bold=True, right=RIGHT - 1.5)
    pdf.line(MARGIN, pdf.line_y + 2, RIGHT, pdf.line_y + 2)
    for row in words["lines"]:
        pdf.down(7)
        for x, text in zip(columns, row[:2], strict=True):
            pdf.put(x, text)
        pdf.put(0, row[2], right=RIGHT - 1.5)
        pdf.line(MARGIN, pdf.line_y + 2, RIGHT, pdf.line_y + 2)
    pdf.down(3)
    for key in ("total", "paid", "to_pay"):
        if words[key]:
            label, value = words[key]
            pdf.down(7)
            pdf.put(0, f"{label}:", size=11, bold=key != "paid", right=RIGHT - 40)
            pdf.put(0, value, size=11, bold=key != "paid", right=RIGHT - 1.5)
    pdf.down(12)


def _payment(pdf, words):
    for key in ("due", "reference", "payee"):
        label, value = words[key]
        pdf.put(MARGIN, f"{label}:")
        for part in pdf.wrap(value, WIDTH - 45):
            pdf.put(MARGIN + 45, part, bold=True)
            pdf.down(6)
    pdf.down(2)
    for part in pdf.wrap(words["reference_note"], WIDTH, size=9.5):
        pdf.put(MARGIN, part, size=9.5)
        pdf.down(5)
