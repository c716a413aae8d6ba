"""The invoice document: its PDF (read back with pypdf), the print page, the member's own PDFs
and the My data CSV for Latvian spreadsheets."""

import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.fees import documents, invoices, pdf_fonts
from clubsite.i18n import format_money
from clubsite.privacy.audit import AuditEvent
from tests.fees.helpers import MEMBER, english, make_member, make_plan, sell
from tests.public.helpers import open_my_data

IBAN = "LV80BANK0000435195001"


@pytest.fixture(autouse=True)
def _club_account(app):
    """The club's bank account, as an operator sets it."""
    app.config.update(CLUB_IBAN=IBAN, CLUB_BANK="AS Banka")


def pdf_text(data):
    """The text of every page of a PDF, as a PDF reader extracts it (no-break spaces as spaces)."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def _invoice(values=None, *, price=123450, **extra):
    member = make_member(values, **extra)
    plan = make_plan(f"Trenažieru zāle {member.id}", price_cents=price)
    _, invoice = sell(member, plan, starts_on=date(2026, 12, 1))
    return member, invoice


def test_pdf_holds_number_latvian_name_total_and_reference(app):
    """What accounting law asks of the document, in Latvian by default, read back from the PDF."""
    _, invoice = _invoice({**MEMBER, "first_name": "Ģirts Ņikita", "last_name": "Žūriņš-Ķēniņš"})
    doc = documents.invoice_document(invoice)
    text = pdf_text(documents.render_pdf(doc))
    assert f"Rēķins Nr. {invoice.number}" in text
    assert "Ģirts Ņikita Žūriņš-Ķēniņš" in text
    assert "1 234,50 €" in text and format_money(123450).replace("\xa0", " ") in text
    assert f"Maksājuma mērķis: {invoice.number}" in text
    assert "Datums: 01.12.2026." in text and "Apmaksas termiņš: 15.12.2026." in text
    assert "01.12.2026. – 31.12.2026." in text
    club = app.config
    for value in (club["CLUB_NAME"], club["CLUB_REG_NUMBER"], club["CLUB_ADDRESS"], IBAN):
        assert value in text
    assert "Dokuments sagatavots elektroniski un ir derīgs bez paraksta." in text
    assert documents.pdf_filename(doc) == f"rekins-{invoice.number}.pdf"


def test_personal_code_is_printed_only_where_the_member_asked(app):
    """The personal code appears only when given for fee administration (the invoice's copy)."""
    _, without = _invoice()
    assert "Personas kods" not in pdf_text(
        documents.render_pdf(documents.invoice_document(without))
    )
    _, asked = _invoice({**MEMBER, "email": "kods@example.lv", "personal_code": "010190-11004"})
    text = pdf_text(documents.render_pdf(documents.invoice_document(asked)))
    assert "Personas kods 010190-11004" in text


def test_pdf_is_in_the_members_language(app):
    """An English-speaking member's invoice reads in English, with the same numbers."""
    member, invoice = _invoice()
    member.language = "en"
    db.session.commit()
    doc = documents.invoice_document(invoice)
    text = pdf_text(documents.render_pdf(doc))
    assert f"Invoice No. {invoice.number}" in text
    assert "Payment reference: " + invoice.number in text
    assert "valid without a signature" in text and "1 234,50 €" in text
    assert documents.pdf_filename(doc) == f"invoice-{invoice.number}.pdf"


def test_a_name_in_another_script_is_set_in_a_wider_font(app):
    """A Cyrillic name is not lost: the document picks a font cut that has its letters."""
    _, invoice = _invoice({**MEMBER, "first_name": "Иван", "last_name": "Петров"})
    doc = documents.invoice_document(invoice)
    assert pdf_fonts.tier_for([doc.buyer_name]) == "wide"
    assert pdf_fonts.tier_for(["Jānis Bērziņš 1 234,50 € – „x”"]) == "lv"
    assert "Иван Петров" in pdf_text(documents.render_pdf(doc))


def test_void_invoice_says_so(app):
    """A voided invoice printed again says VOID (ANULĒTS)."""
    _, invoice = _invoice()
    invoices.void_invoice(invoice, expected_version=invoice.version)
    db.session.commit()
    text = pdf_text(documents.render_pdf(documents.invoice_document(invoice)))
    assert "ANULĒTS" in text


def test_print_page_and_pdf_for_the_accountant(app, client_for):
    """The accountant's print page shows the document in the member's language; the PDF
    downloads; both reads are audited."""
    _, invoice = _invoice()
    accountant = english(client_for("accountant"))
    page = accountant.get(f"/office/fees/invoices/{invoice.public_id}/document")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Rēķins Nr. {invoice.number}" in html and "Jānis Bērziņš" in html
    assert "Not sent yet." in html and "css/invoice.css" in html
    pdf = accountant.get(f"/office/fees/invoices/{invoice.public_id}/pdf")
    assert pdf.mimetype == "application/pdf"
    assert f'filename="rekins-{invoice.number}.pdf"' in pdf.headers["Content-Disposition"]
    assert invoice.number in pdf_text(pdf.data)
    reads = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "fees.invoice_read")
    ).all()
    assert len(reads) == 2


def test_print_page_warns_when_the_club_account_is_missing(app, client_for):
    """Without CLUB_IBAN the page says so, and the PDF names no account."""
    app.config["CLUB_IBAN"] = ""
    _, invoice = _invoice()
    accountant = english(client_for("accountant"))
    html = accountant.get(f"/office/fees/invoices/{invoice.public_id}/document").get_data(True)
    assert "bank account is not set" in html
    assert "Norēķinu konts" not in pdf_text(
        documents.render_pdf(documents.invoice_document(invoice))
    )


def test_member_downloads_own_invoice_pdfs_only(app, client):
    """My data lists the member's invoices with their PDFs; another member's is not found."""
    member, invoice = _invoice()
    _, other = _invoice({**MEMBER, "email": "cits@example.lv", "first_name": "Anna"})
    open_my_data(client, member)
    page = client.get("/mani-dati").get_data(as_text=True)
    assert invoice.number in page and other.number not in page
    assert f"/mani-dati/rekini/{invoice.public_id}.pdf" in page
    pdf = client.get(f"/mani-dati/rekini/{invoice.public_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Jānis Bērziņš" in pdf_text(pdf.data)
    assert client.get(f"/mani-dati/rekini/{other.public_id}.pdf").status_code == 404
    events = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "fees.invoice_pdf")
    ).all()
    assert events == [invoice.number]


def test_my_data_csv_is_for_latvian_spreadsheets(app, client):
    """UTF-8 with a byte order mark, semicolons, amounts with a decimal comma."""
    member, invoice = _invoice(price=3550)
    open_my_data(client, member)
    body = client.get("/mani-dati/dati.csv").get_data(as_text=True)
    assert body.startswith("\ufeffsection;item;field;value\r\n")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert ["data", "", "first_name", "Jānis"] in rows
    assert ["invoices", "1", "amount", "35,50"] in rows
    assert ["invoices", "1", "number", invoice.number] in rows
