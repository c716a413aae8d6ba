"""SEPA direct debit: the collection file validates against pain.008.001.02, holds exactly the
due invoices of members with a live mandate, its count and sums add up, and its invoices are
marked as sent for collection (not collected twice, not overdue at the door meanwhile)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sepaxml
from lxml import etree
from sepaxml.validation import try_valid_xml
from sqlalchemy import func, select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import mandates, sepa
from clubsite.fees.bank_models import Mandate, SepaBatch
from clubsite.fees.invoices import overdue_query
from clubsite.fees.models import Invoice
from clubsite.fees.terms import FeesError
from clubsite.i18n import today_local
from tests.conftest import csrf_token
from tests.fees.bank_helpers import member_with_invoice, set_up_creditor
from tests.fees.helpers import english, make_plan, pay

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
STAFF = Actor.staff("00000000-0000-4000-8000-000000000001")


def _collection_day():
    return today_local() + timedelta(days=20)  # after the first invoices' due date (14 days)


def _export(day=None):
    xml, batch = sepa.export_collection(day or _collection_day(), actor=STAFF)
    db.session.commit()
    return xml, batch


@pytest.fixture
def creditor(app):
    """The club's creditor settings are in place."""
    set_up_creditor(app)


def test_file_validates_against_the_pain_008_001_02_schema(creditor):
    """Checked here by sepaxml's own validator (xmlschema) and by lxml with the same XSD."""
    member_with_invoice(0)
    member_with_invoice(1)
    xml, _batch = _export()
    try_valid_xml(xml, "pain.008.001.02")  # raises if the file is not valid
    xsd = f"{sepaxml.__path__[0]}/schemas/pain.008.001.02.xsd"
    assert etree.XMLSchema(etree.parse(xsd)).validate(etree.fromstring(xml))


def test_only_due_invoices_of_members_with_a_live_mandate_are_collected(creditor):
    """No mandate, a revoked mandate, no IBAN, a paid invoice, one not yet due: none is in it."""
    plan = make_plan("Trenažieru zāle", 3500)
    _in, wanted = member_with_invoice(0, plan=plan)
    member_with_invoice(1, plan=plan, mandate=False)
    revoked, _i = member_with_invoice(2, plan=plan)
    mandates.revoke_mandate(revoked, mandates.active_mandate(revoked), actor=STAFF)
    db.session.commit()
    _paid_member, paid = member_with_invoice(3, plan=plan)
    pay(paid)
    member_with_invoice(4, plan=plan, today=today_local() + timedelta(days=10))  # due later

    xml, batch = _export()
    document = etree.fromstring(xml)
    ids = document.xpath("//p:DrctDbtTxInf/p:PmtId/p:EndToEndId/text()", namespaces=NS)
    assert ids == [wanted.number]
    assert document.xpath("//p:MndtId/text()", namespaces=NS) == ["KLUBS-TEST-0000"]
    assert (batch.count, batch.total_cents) == (1, 3500)


def test_count_and_sums_add_up(creditor):
    """NbOfTxs and CtrlSum of the group header and each batch equal the collections in it."""
    for index, price in enumerate((3500, 1250, 9999)):
        member_with_invoice(index, plan=make_plan(f"Plāns {index}", price))
    xml, batch = _export()
    document = etree.fromstring(xml)
    amounts = [Decimal(a) for a in document.xpath("//p:InstdAmt/text()", namespaces=NS)]
    assert sum(amounts) == Decimal("147.49") and len(amounts) == 3
    header = document.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert Decimal(header.findtext("p:CtrlSum", namespaces=NS)) == sum(amounts)
    for info in document.xpath("//p:PmtInf", namespaces=NS):
        inside = [Decimal(a) for a in info.xpath(".//p:InstdAmt/text()", namespaces=NS)]
        assert int(info.findtext("p:NbOfTxs", namespaces=NS)) == len(inside)
        assert Decimal(info.findtext("p:CtrlSum", namespaces=NS)) == sum(inside)
    assert (batch.count, batch.total_cents) == (3, 14749)


def test_collected_invoices_are_marked_sent_and_not_collected_twice(creditor):
    """The invoice is sent for collection; the mandate goes from first to recurring; a second
    file for the same day has nothing left; meanwhile the invoice is not overdue at the door."""
    _member, invoice = member_with_invoice(0)
    xml, _batch = _export()
    assert b"<SeqTp>FRST</SeqTp>" in xml
    db.session.refresh(invoice)
    assert (invoice.collection_status, invoice.collection_sequence) == ("sent", "FRST")
    assert db.session.scalar(select(Mandate.sequence)) == "RCUR"
    assert _export() == (None, None)
    late = invoice.due_on + timedelta(days=30)
    assert db.session.scalars(overdue_query(late)).all() == []


def test_a_collection_date_in_the_past_or_no_creditor_is_refused(app):
    """A clear message names the settings; nothing is marked."""
    member_with_invoice(0)
    with pytest.raises(FeesError, match="SEPA_CREDITOR_ID"):
        sepa.export_collection(_collection_day(), actor=STAFF)
    db.session.rollback()
    set_up_creditor(app)
    with pytest.raises(FeesError, match="after today"):
        sepa.export_collection(today_local(), actor=STAFF)
    db.session.rollback()
    assert (
        db.session.scalar(select(func.count()).where(Invoice.collection_status.is_not(None))) == 0
    )


def test_cli_writes_the_file(app, runner, creditor, tmp_path):
    """flask fees sepa-export --collection-date D --out FILE writes the file and says so."""
    member_with_invoice(0)
    out = tmp_path / "iekasesana.xml"
    day = _collection_day().isoformat()
    result = runner.invoke(
        args=["fees", "sepa-export", "--collection-date", day, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 collections, 35.00 EUR" in result.output
    try_valid_xml(out.read_bytes(), "pain.008.001.02")
    assert db.session.scalar(select(func.count(SepaBatch.id))) == 1
    again = runner.invoke(args=["fees", "sepa-export", "--collection-date", day, "--out", str(out)])
    assert "nothing is due" in again.output


def test_accountant_downloads_the_file_from_the_page(client_for, creditor):
    """The page previews the count; the POST downloads the file; reception gets 403."""
    member_with_invoice(0)
    accountant = english(client_for("accountant"))
    day = _collection_day().isoformat()
    page = accountant.get(f"/office/fees/direct-debit?date={day}").get_data(as_text=True)
    assert "1 collection due" in page
    token = csrf_token(accountant, "/office/fees/direct-debit")
    response = accountant.post(
        "/office/fees/direct-debit/file", data={"collection_date": day, "csrf_token": token}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    try_valid_xml(response.data, "pain.008.001.02")
    reception = client_for("reception")
    assert reception.get("/office/fees/direct-debit").status_code == 403
