"""Reading bank statement files: ISO 20022 camt.053 (001.02 and later) and FiDAViSta 1.2 (1.1
too), the XML Latvian banks export.

The XML is parsed by defusedxml with every document type declaration refused: a statement
never has one, and refusing it stops external entities (file or network reads) and entity
expansion bombs ("billion laughs") before anything is expanded. The file's size and its
number of lines are bounded. A file that is not one of these statements gets a clear
StatementError and nothing else happens. Parsing is pure: no database, no app.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask_babel import lazy_gettext as _l

from clubsite.fees.terms import FeesError

MAX_LINES = 100_000
CAMT = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})\}Document")
FIDAVISTA_NAMESPACES = tuple(
    f"{{http://ivis.eps.gov.lv/XMLSchemas/100017/fidavista/v1-{minor}}}" for minor in (2, 1)
) + ("",)
TEXT_MAX = 500


class StatementError(FeesError):
    """A file that cannot be read as a statement; .message says why, nothing was changed."""


@dataclass
class Line:
    """One movement on the account, as the bank reports it."""

    booked_on: date
    amount_cents: int
    credit: bool
    reference: str = ""  # the payer's remittance text
    end_to_end: str = ""
    payer_name: str = ""
    bank_ref: str = ""
    returned: bool = False  # the bank marks it as a return or reversal


@dataclass
class Statement:
    """A statement's account, its own reference and its lines in file order."""

    format: str
    account: str
    statement_ref: str
    lines: list = field(default_factory=list)
    ignored: int = 0  # lines in another currency or not yet booked


def parse(data, *, max_bytes):
    """The Statement in the file's bytes; StatementError for anything else."""
    if len(data) > max_bytes:
        raise StatementError(
            _l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024))
        )
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise StatementError(
            _l(
                "The file declares entities of its own (a DTD). Bank statements never do, so "
                "it was not read."
            )
        ) from None
    except (ParseError, ValueError):
        raise StatementError(_l("This is not a readable XML file.")) from None
    camt = CAMT.fullmatch(root.tag)
    if camt and int(camt.group(1)) >= 2:
        statement = _camt(root, "{" + root.tag[1:].split("}")[0] + "}")
    elif root.tag.endswith("FIDAVISTA") and root.tag[: -len("FIDAVISTA")] in FIDAVISTA_NAMESPACES:
        statement = _fidavista(root, root.tag[: -len("FIDAVISTA")])
    else:
        raise StatementError(
            _l("This is not a bank statement in camt.053 (001.02 or later) or FiDAViSta format.")
        )
    if len(statement.lines) > MAX_LINES:
        raise StatementError(_l("The statement has more than %(max)d lines.", max=MAX_LINES))
    return statement


def _text(node, path, ns):
    found = node.find(path.replace("{}", ns)) if node is not None else None
    return (found.text or "").strip()[:TEXT_MAX] if found is not None and found.text else ""


def _cents(text):
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        raise StatementError(_l("The statement has an amount that is not a number.")) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > 10**9:
        raise StatementError(_l("The statement has an amount that is not a number."))
    return int(amount * 100)


def _day(text):
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementError(_l("The statement has a date that cannot be read.")) from None


# -- ISO 20022 camt.053 ----------------------------------------------------------------------


def _camt(root, ns):
    report = root.find(f"{ns}BkToCstmrStmt")
    if report is None:
        raise StatementError(_l("This camt.053 file has no statement in it."))
    statements = report.findall(f"{ns}Stmt")
    first = statements[0] if statements else None
    result = Statement("camt053", _text(first, "{}Acct/{}Id/{}IBAN", ns), _text(first, "{}Id", ns))
    for stmt in statements:
        for entry in stmt.findall(f"{ns}Ntry"):
            _camt_entry(entry, ns, result)
    return result


def _camt_entry(entry, ns, result):
    status = _text(entry, "{}Sts", ns) or _text(entry, "{}Sts/{}Cd", ns)
    amount = entry.find(f"{ns}Amt")
    if status not in ("BOOK", "") or amount is None or amount.get("Ccy", "EUR") != "EUR":
        result.ignored += 1
        return
    credit = _text(entry, "{}CdtDbtInd", ns) == "CRDT"
    booked = _text(entry, "{}BookgDt/{}Dt", ns) or _text(entry, "{}BookgDt/{}DtTm", ns)
    booked = booked or _text(entry, "{}ValDt/{}Dt", ns)
    entry_ref = _text(entry, "{}AcctSvcrRef", ns) or _text(entry, "{}NtryRef", ns)
    reversal = _text(entry, "{}RvslInd", ns).lower() == "true"
    details = entry.findall(f"{ns}NtryDtls/{ns}TxDtls")
    amounts = [_tx_amount(tx, ns) for tx in details]
    if len(details) <= 1 or None in amounts:
        details, amounts = details[:1], [_cents(amount.text or "")]
    for index, (tx, cents) in enumerate(zip(details or [None], amounts, strict=True)):
        result.lines.append(
            Line(
                booked_on=_day(booked),
                amount_cents=cents,
                credit=credit,
                reference=_camt_reference(tx, ns),
                end_to_end=_end_to_end(tx, ns),
                payer_name=_party_name(tx, ns, "Dbtr" if credit else "Cdtr"),
                bank_ref=_text(tx, "{}Refs/{}AcctSvcrRef", ns)
                or (f"{entry_ref}#{index}" if entry_ref else ""),
                returned=reversal or (tx is not None and tx.find(f"{ns}RtrInf") is not None),
            )
        )


def _tx_amount(tx, ns):
    text = _text(tx, "{}AmtDtls/{}TxAmt/{}Amt", ns) or _text(tx, "{}Amt", ns)
    return _cents(text) if text else None


def _end_to_end(tx, ns):
    value = _text(tx, "{}Refs/{}EndToEndId", ns)
    return "" if value == "NOTPROVIDED" else value


def _camt_reference(tx, ns):
    if tx is None:
        return ""
    parts = [(u.text or "").strip() for u in tx.findall(f"{ns}RmtInf/{ns}Ustrd")]
    parts.append(_text(tx, "{}RmtInf/{}Strd/{}CdtrRefInf/{}Ref", ns))
    return " ".join(p for p in parts if p)[:TEXT_MAX]


def _party_name(tx, ns, role):
    # camt.053.001.08 and later wrap the party in <Pty>; earlier versions do not.
    return _text(tx, f"{{}}RltdPties/{{}}{role}/{{}}Nm", ns) or _text(
        tx, f"{{}}RltdPties/{{}}{role}/{{}}Pty/{{}}Nm", ns
    )


# -- FiDAViSta -------------------------------------------------------------------------------


def _fidavista(root, ns):
    statement = root.find(f"{ns}Statement")
    if statement is None:
        raise StatementError(_l("This FiDAViSta file has no statement in it."))
    account_sets = statement.findall(f"{ns}AccountSet")
    period = f"{_text(statement, '{}Period/{}StartDate', ns)}/"
    period += _text(statement, "{}Period/{}EndDate", ns)
    first = account_sets[0] if account_sets else None
    result = Statement("fidavista", _text(first, "{}AccNo", ns), period)
    for account_set in account_sets:
        for currency_statement in account_set.findall(f"{ns}CcyStmt"):
            euro = _text(currency_statement, "{}Ccy", ns) in ("EUR", "")
            for trx in currency_statement.findall(f"{ns}TrxSet"):
                if not euro:
                    result.ignored += 1
                    continue
                result.lines.append(_fidavista_line(trx, ns))
    return result


def _fidavista_line(trx, ns):
    credit = _text(trx, "{}CorD", ns) == "C"
    reference = " ".join(p for p in (_text(trx, "{}PmtInfo", ns), _text(trx, "{}StrdRef", ns)) if p)
    return Line(
        booked_on=_day(_text(trx, "{}BookDate", ns)),
        amount_cents=_cents(_text(trx, "{}AccAmt", ns)),
        credit=credit,
        reference=reference[:TEXT_MAX],
        end_to_end=_text(trx, "{}EndToEndId", ns),
        payer_name=_text(trx, "{}CPartySet/{}AccHolder/{}Name", ns),
        bank_ref=_text(trx, "{}BankRef", ns),
    )
