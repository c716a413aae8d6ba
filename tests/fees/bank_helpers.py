"""Direct-debit and bank-statement helpers: the club's creditor settings, members with a
mandate, and statement files (camt.053, FiDAViSta) written the way Latvian banks write them."""

from datetime import timedelta
from xml.sax.saxutils import escape

from stdnum import iban as stdnum_iban

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import mandates
from clubsite.i18n import today_local
from tests.fees.helpers import make_member, make_plan, sell

PEOPLE = [
    ("Jānis", "Bērziņš"),
    ("Anna", "Kalniņa"),
    ("Līga", "Ozoliņa"),
    ("Andris", "Liepiņš"),
    ("Ērika", "Krūmiņa"),
    ("Oļegs", "Šņoriņš"),
]


def lv_iban(serial):
    """A valid Latvian IBAN (bank HABA) for a serial number."""
    bban = f"HABA{serial:013d}"
    return f"LV{stdnum_iban.calc_check_digits('LV00' + bban)}{bban}"


CLUB_ACCOUNT = lv_iban(4000000)
CREDITOR = {
    "SEPA_CREDITOR_ID": "LV53ZZZ40000000000",
    "SEPA_CREDITOR_IBAN": CLUB_ACCOUNT,
    "SEPA_CREDITOR_BIC": "HABALV22",
}


def set_up_creditor(app):
    """The club's creditor identifier, account and bank, as the operator sets them."""
    app.config.update(CREDITOR)


def member_with_invoice(index, *, plan=None, mandate=True, today=None, iban=True):
    """A member (Latvian name) with a membership and its open first invoice; a live mandate if
    asked. Returns (member, invoice)."""
    first, last = PEOPLE[index % len(PEOPLE)]
    values = {
        "first_name": first,
        "last_name": last,
        "email": f"maksatajs{index}@example.lv",
    }
    if iban:
        values["iban"] = lv_iban(index + 1)
    member = make_member(values)
    today = today or today_local()
    _membership, invoice = sell(member, plan or make_plan(f"Plāns {index}"), today=today)
    if mandate:
        mandates.record_mandate(
            member,
            signed_on=today - timedelta(days=30),
            reference=f"KLUBS-TEST-{index:04d}",
            actor=Actor.staff("00000000-0000-4000-8000-000000000001"),
        )
        db.session.commit()
    return member, invoice


def _amount(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def camt_entry(
    cents,
    *,
    credit=True,
    reference="",
    name="",
    end_to_end="",
    bank_ref="",
    booked=None,
    returned=False,
    version=2,
):
    """One <Ntry> of a camt.053 statement, with its one transaction's details."""
    booked = booked or today_local()
    direction = "CRDT" if credit else "DBIT"
    party = "Dbtr" if credit else "Cdtr"
    name_xml = f"<Nm>{escape(name)}</Nm>"
    if version >= 8:
        name_xml = f"<Pty>{name_xml}</Pty>"
    status = "<Sts><Cd>BOOK</Cd></Sts>" if version >= 8 else "<Sts>BOOK</Sts>"
    refs = f"<EndToEndId>{escape(end_to_end)}</EndToEndId>" if end_to_end else ""
    if bank_ref:
        refs += f"<AcctSvcrRef>{escape(bank_ref)}</AcctSvcrRef>"
    rtr = "<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf>" if returned else ""
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{_amount(cents)}</Amt>
        <CdtDbtInd>{direction}</CdtDbtInd>
        {status}
        <BookgDt><Dt>{booked.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{booked.isoformat()}</Dt></ValDt>
        <BkTxCd><Prtry><Cd>{"PMNT" if credit else "DDRT"}</Cd></Prtry></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs>{refs}</Refs>
          <RltdPties><{party}>{name_xml}</{party}></RltdPties>
          <RmtInf><Ustrd>{escape(reference)}</Ustrd></RmtInf>
          {rtr}
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(entries, *, version=2, account=CLUB_ACCOUNT, statement_id="STMT-2026-12-01"):
    """A camt.053.001.<version> statement file (bytes) around the entries."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-12-01T08:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-12-01T08:00:00</CreDtTm>
      <Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def fidavista_line(
    cents, *, credit=True, reference="", name="", bank_ref="", booked=None, end_to_end=""
):
    """One <TrxSet> of a FiDAViSta statement."""
    booked = booked or today_local()
    e2e = f"<EndToEndId>{escape(end_to_end)}</EndToEndId>" if end_to_end else ""
    return f"""
        <TrxSet>
          <TypeCode>{"INP" if credit else "OUTP"}</TypeCode>
          <TypeName>{"Ienākošais maksājums" if credit else "Izejošais maksājums"}</TypeName>
          <RegDate>{booked.isoformat()}</RegDate>
          <BookDate>{booked.isoformat()}</BookDate>
          <ValueDate>{booked.isoformat()}</ValueDate>
          {e2e}
          <BankRef>{escape(bank_ref)}</BankRef>
          <DocNo>1</DocNo>
          <CorD>{"C" if credit else "D"}</CorD>
          <AccAmt>{_amount(cents)}</AccAmt>
          <PmtInfo>{escape(reference)}</PmtInfo>
          <CPartySet>
            <AccNo>{lv_iban(999)}</AccNo>
            <AccHolder><Name>{escape(name)}</Name><LegalId>010190-12345</LegalId></AccHolder>
            <BankCode>HABALV22</BankCode>
            <BankName>Swedbank</BankName>
            <Ccy>EUR</Ccy>
            <Amt>{_amount(cents)}</Amt>
          </CPartySet>
        </TrxSet>"""


def fidavista(lines, *, account=CLUB_ACCOUNT, start=None, end=None):
    """A FiDAViSta 1.2 statement file (bytes) around the lines."""
    end = end or today_local()
    start = start or end - timedelta(days=30)
    ns = "http://ivis.eps.gov.lv/XMLSchemas/100017/fidavista/v1-2"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<FIDAVISTA xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Header><Timestamp>20261201080000000</Timestamp><From>HABALV22</From></Header>
  <Statement>
    <Period><StartDate>{start}</StartDate><EndDate>{end}</EndDate><PrepDate>{end}</PrepDate></Period>
    <BankSet><Name>Swedbank AS</Name><LegalId>40003074764</LegalId></BankSet>
    <ClientSet><Name>Sporta un atpūtas klubs</Name><LegalId>40000000000</LegalId></ClientSet>
    <AccountSet>
      <AccNo>{account}</AccNo>
      <CcyStmt>
        <Ccy>EUR</Ccy>
        <OpenBal>1000.00</OpenBal>
        <CloseBal>2000.00</CloseBal>
        {"".join(lines)}
      </CcyStmt>
    </AccountSet>
  </Statement>
</FIDAVISTA>""".encode()


def statement_day(days_ago=1):
    """A booking day a few days back."""
    return today_local() - timedelta(days=days_ago)
