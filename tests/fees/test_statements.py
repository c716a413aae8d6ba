"""Bank statements: camt.053 and FiDAViSta files mark the invoices their references name as
paid, a second import changes nothing, returned direct debits reopen their invoice, what no
number matches waits (with a suggestion by amount and name) for the accountant, and hostile or
foreign files are refused with a clear message, changing nothing."""

import io
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import sepa, statement_lines, statements
from clubsite.fees.bank_models import StatementImport, StatementLine
from clubsite.fees.models import Invoice, Payment
from clubsite.fees.statement_files import StatementError, parse
from clubsite.i18n import CLUB_TZ, today_local
from clubsite.privacy.retention import run_retention
from tests.conftest import csrf_token
from tests.fees.bank_helpers import (
    camt053,
    camt_entry,
    fidavista,
    fidavista_line,
    member_with_invoice,
    set_up_creditor,
    statement_day,
)
from tests.fees.helpers import english, make_plan

STAFF = Actor.staff("00000000-0000-4000-8000-000000000001")
MAX = 25 * 1024 * 1024


def _import(data):
    record = statements.import_statement(parse(data, max_bytes=MAX), actor=STAFF)
    db.session.commit()
    return record


def _state(*invoices):
    db.session.expire_all()
    return [(i.status, i.paid_cents) for i in (db.session.get(Invoice, x.id) for x in invoices)]


def _payments():
    return db.session.scalar(select(func.count(Payment.id)))


@pytest.mark.parametrize("version", [2, 8])
def test_camt053_marks_the_invoices_its_references_name_paid(version):
    """Latvian references ("Rēķins Nr. …", "rēķ. …"), diacritics in the names; 001.02 and
    001.08 (where parties are wrapped in <Pty>) alike; a second import records nothing."""
    plan = make_plan("Trenažieru zāle", 3500)
    _a, first = member_with_invoice(0, plan=plan, mandate=False)
    _b, second = member_with_invoice(1, plan=plan, mandate=False)
    _c, untouched = member_with_invoice(2, plan=plan, mandate=False)
    data = camt053(
        [
            camt_entry(
                3500,
                reference=f"Rēķins Nr. {first.number}",
                name="Jānis Bērziņš",
                bank_ref="RF-0001",
                version=version,
            ),
            camt_entry(
                2000,
                reference=f"rēķ.{second.number.replace('-', ' ')} daļa",
                name="Anna Kalniņa",
                bank_ref="RF-0002",
                version=version,
            ),
            camt_entry(
                5000,
                credit=False,
                reference="Īre par decembri",
                name="SIA Telpas",
                bank_ref="RF-0003",
                version=version,
            ),
        ],
        version=version,
    )
    record = _import(data)
    assert (record.matched, record.unmatched, record.ignored) == (2, 0, 1)
    assert _state(first, second, untouched) == [("paid", 3500), ("open", 2000), ("open", 0)]
    assert _payments() == 2
    again = _import(data)
    assert (again.matched, again.duplicates) == (0, 2)
    assert _state(first, second, untouched) == [("paid", 3500), ("open", 2000), ("open", 0)]
    assert _payments() == 2


def test_fidavista_marks_the_invoices_paid_and_imports_once():
    """A FiDAViSta 1.2 file from a Latvian bank; the same file again changes nothing, and a
    later statement overlapping it records only what is new."""
    plan = make_plan("Baseins", 4200)
    _a, first = member_with_invoice(0, plan=plan, mandate=False)
    _b, second = member_with_invoice(1, plan=plan, mandate=False)
    line_one = fidavista_line(
        4200,
        reference=f"Par abonementu, rēķins {first.number}",
        name="JĀNIS BĒRZIŅŠ",
        bank_ref="SWED-778899",
    )
    line_two = fidavista_line(
        4200, reference=f"{second.number}", name="Anna Kalniņa", bank_ref="SWED-778900"
    )
    record = _import(fidavista([line_one]))
    assert record.matched == 1 and record.format == "fidavista"
    assert _import(fidavista([line_one])).matched == 0
    overlapping = _import(fidavista([line_one, line_two]))
    assert (overlapping.matched, overlapping.duplicates) == (1, 1)
    assert _state(first, second) == [("paid", 4200), ("paid", 4200)]
    assert _payments() == 2


def test_lines_without_bank_references_are_recognised_again():
    """Two equal payments on one day without a bank reference are two lines, both times."""
    plan = make_plan("Joga", 1000)
    _a, invoice = member_with_invoice(0, plan=plan, mandate=False)
    invoice.amount_cents = 2000  # so both halves fit
    db.session.commit()
    entry = camt_entry(1000, reference=f"Rēķins {invoice.number}", name="Jānis Bērziņš")
    data = camt053([entry, entry])
    assert _import(data).matched == 2
    assert _import(data).duplicates == 2
    assert _state(invoice) == [("paid", 2000)]


def test_unmatched_credit_waits_with_a_suggestion_by_amount_and_name(client_for):
    """No invoice number: nothing is paid; the accountant sees the line with the suggested
    invoice and assigns it; then the payer's name and reference are erased."""
    plan = make_plan("Trenažieru zāle", 3500)
    _a, invoice = member_with_invoice(3, plan=plan, mandate=False)  # Andris Liepiņš
    _b, other = member_with_invoice(0, plan=plan, mandate=False)
    record = _import(
        camt053([camt_entry(3500, reference="Par decembri", name="LIEPIŅŠ ANDRIS", bank_ref="X-1")])
    )
    assert (record.matched, record.unmatched) == (0, 1)
    line = db.session.scalar(select(StatementLine))
    assert line.suggested_invoice_id == invoice.id and line.payer_name_enc is not None
    accountant = english(client_for("accountant"))
    page = accountant.get("/office/fees/statements/lines").get_data(as_text=True)
    assert "LIEPIŅŠ ANDRIS" in page and f'value="{invoice.number}"' in page
    url = f"/office/fees/statements/lines/{line.public_id}"
    token = csrf_token(accountant, "/office/fees/statements/lines")
    accountant.post(
        url, data={"invoice": invoice.number, "version": line.version, "csrf_token": token}
    )
    assert _state(invoice, other) == [("paid", 3500), ("open", 0)]
    line = db.session.get(StatementLine, line.id)
    assert line.status == "assigned" and line.payer_name_enc is None and line.reference_enc is None


def test_returned_collection_reopens_the_invoice(app):
    """Sent for collection, collected (credit), then returned (debit with the end-to-end id):
    the invoice is open again, its payment counts no more, and it can be collected again."""
    set_up_creditor(app)
    _m, invoice = member_with_invoice(0)
    sepa.export_collection(today_local() + timedelta(days=20), actor=STAFF)
    db.session.commit()
    credit = camt_entry(
        3500,
        end_to_end=invoice.number,
        reference="Tiešais debets",
        name="Sporta un atpūtas klubs",
        bank_ref="DD-1",
    )
    _import(camt053([credit]))
    assert _state(invoice) == [("paid", 3500)]
    assert db.session.get(Invoice, invoice.id).collection_status == "collected"
    back = camt_entry(
        3500,
        credit=False,
        end_to_end=invoice.number,
        returned=True,
        reference="Atgriezts: nepietiek līdzekļu",
        bank_ref="DD-2",
    )
    record = _import(camt053([back]))
    assert record.returned == 1
    assert _state(invoice) == [("open", 0)]
    assert db.session.get(Invoice, invoice.id).collection_status == "returned"
    assert db.session.scalar(select(Payment.returned_on)) == today_local()
    assert [c.invoice_id for c in sepa.due_collections(today_local() + timedelta(days=20))] == [
        invoice.id
    ]


def test_a_whole_collection_booked_as_one_credit_pays_its_invoices(app):
    """The bank books the file as one sum with the file's id in the reference."""
    set_up_creditor(app)
    _a, first = member_with_invoice(0)
    _b, second = member_with_invoice(1)
    _xml, batch = sepa.export_collection(today_local() + timedelta(days=20), actor=STAFF)
    db.session.commit()
    entry = camt_entry(7000, reference=f"SEPA DD {batch.message_id}", bank_ref="BATCH-1")
    assert _import(camt053([entry])).matched == 1
    assert _state(first, second) == [("paid", 3500), ("paid", 3500)]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Id>&secret;</Id></Stmt></BkToCstmrStmt></Document>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<FIDAVISTA><Statement>&lol4;</Statement></FIDAVISTA>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (XXE, "declares entities of its own"),
        (LAUGHS, "declares entities of its own"),
        (b"<html><body>not a statement</body></html>", "not a bank statement"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>',
            "not a bank statement",
        ),
        (b"Datums;Summa\n01.12.2026;35,00\n", "not a readable XML file"),
        (b"<Document", "not a readable XML file"),
    ],
)
def test_hostile_or_foreign_files_are_refused(data, message):
    """An external entity, a billion-laughs payload, another XML, a CSV: a clear message."""
    with pytest.raises(StatementError, match=message):
        parse(data, max_bytes=MAX)


def test_oversized_file_is_refused():
    """The size limit holds before anything is parsed."""
    with pytest.raises(StatementError, match="larger than 1 MB"):
        parse(b" " * (1024 * 1024 + 1), max_bytes=1024 * 1024)


def test_upload_page_imports_and_refuses_clearly(client_for):
    """The accountant uploads a statement; a hostile one is refused and nothing is recorded."""
    _a, invoice = member_with_invoice(0, mandate=False)
    accountant = english(client_for("accountant"))
    token = csrf_token(accountant, "/office/fees/statements")
    bad = accountant.post(
        "/office/fees/statements",
        data={"csrf_token": token, "file": (io.BytesIO(LAUGHS), "izraksts.xml")},
        content_type="multipart/form-data",
    )
    assert "declares entities of its own" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StatementImport.id))) == 0
    good = camt053(
        [camt_entry(3500, reference=invoice.number, name="Jānis Bērziņš", bank_ref="U-1")]
    )
    response = accountant.post(
        "/office/fees/statements",
        data={"csrf_token": token, "file": (io.BytesIO(good), "izraksts.xml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 payments recorded" in response.get_data(as_text=True)
    assert _state(invoice) == [("paid", 3500)]


def test_upload_without_the_form_token_is_refused(client_for):
    """The page is exempt from the global CSRF hook only to raise the size limit first: the
    form still checks its token, so a forged upload of a good statement records nothing."""
    _a, invoice = member_with_invoice(0, mandate=False)
    accountant = client_for("accountant")
    accountant.get("/office/fees/statements")
    good = camt053([camt_entry(3500, reference=invoice.number, bank_ref="F-1")])
    response = accountant.post(
        "/office/fees/statements",
        data={"file": (io.BytesIO(good), "izraksts.xml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(StatementImport.id))) == 0
    assert _state(invoice) == [("open", 0)]


def test_cli_imports_a_statement(runner, tmp_path):
    """flask fees import-statement FILE records and reports; a bad file exits non-zero."""
    _a, invoice = member_with_invoice(0, mandate=False)
    path = tmp_path / "izraksts.xml"
    path.write_bytes(fidavista([fidavista_line(3500, reference=invoice.number, bank_ref="C-1")]))
    result = runner.invoke(args=["fees", "import-statement", str(path)])
    assert result.exit_code == 0 and "1 paid" in result.output
    path.write_bytes(XXE)
    refused = runner.invoke(args=["fees", "import-statement", str(path)])
    assert refused.exit_code != 0 and "declares entities" in refused.output
    assert _state(invoice) == [("paid", 3500)]


def test_unmatched_details_are_erased_after_their_days(app):
    """Retention erases the payer's name and reference of a line left unassigned."""
    _import(
        camt053(
            [
                camt_entry(
                    999,
                    reference="Ziedojums",
                    name="Pēteris Kļaviņš",
                    bank_ref="R-1",
                    booked=statement_day(),
                )
            ]
        )
    )
    line = db.session.scalar(select(StatementLine))
    assert statement_lines.read_details(line)["payer_name"] == "Pēteris Kļaviņš"
    later = today_local() + timedelta(days=app.config["STATEMENT_UNMATCHED_DAYS"] + 1)
    run_retention(now=datetime.combine(later, time(12), CLUB_TZ))
    db.session.expire_all()
    line = db.session.scalar(select(StatementLine))
    assert line.payer_name_enc is None and line.reference_enc is None
    assert line.amount_cents == 999  # the line itself stays: the same file stays recognised
