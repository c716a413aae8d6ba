"""Reading bank statement files: ISO 20022 camt.053 (001.02 and later) and FiDAViSta 1.2 (1.1
too), the XML Latvian banks export.

The XML is parsed by lxml hardened: entities are not substituted, no DTD is loaded, nothing is
fetched from the network or a file, libxml2's own size limits stay on (no huge_tree), and a
document that has a document type declaration at all is refused, since a statement never has
one. So an external entity (a file or network read) is never resolved and an entity expansion
bomb ("billion laughs") never expanded. The file's size and its number of lines are bounded.
A file that is not one of these statements gets a clear StatementError and nothing else
happens. Parsing is pure: no database, no app.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from lxml import etree

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


def _parser():
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _hardened_root(data):
    """The root element, or StatementError for a DTD of any kind or for what is not XML."""
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError):
        raise StatementError(_l("This is not a readable XML file.")) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise StatementError(
            _l(
                "The file declares entities of its own (a DTD). Bank statements never do, so "
                "it was not read."
            )
        )
    return root


def parse(data, *, max_bytes):
    """The Statement in the file's bytes; StatementError for anything else."""
    if len(data) > max_bytes:
        raise StatementError(
            _l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024))
        )
    root = _hardened_root(data)
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


def _flat(node, ns, stop=None):
    """{path of local names: [elements]} under node, in one walk (not descending into stop)."""
    found, cut, stack = {}, len(ns), [(node, "")]
    pop, push = stack.pop, stack.append
    while stack:
        element, prefix = pop()
        for child in element:
            tag = child.tag
            tag = tag[cut:] if tag[:cut] == ns else tag
            path = prefix + tag
            same = found.get(path)
            if same is None:
                found[path] = [child]
            else:
                same.append(child)
            if tag != stop and len(child):
                push((child, path + "/"))
    return found


def _get(flat, *paths):
    """The text of the first of the paths present (stripped, bounded), or ""."""
    for path in paths:
        elements = flat.get(path)
        if elements and elements[0].text:
            return elements[0].text.strip()[:TEXT_MAX]
    return ""


def _camt_entry(entry, ns, result):
    flat = _flat(entry, ns, stop="NtryDtls")
    status = _get(flat, "Sts", "Sts/Cd")
    amount = flat.get("Amt", [None])[0]
    if status not in ("BOOK", "") or amount is None or amount.get("Ccy", "EUR") != "EUR":
        result.ignored += 1
        return
    credit = _get(flat, "CdtDbtInd") == "CRDT"
    booked = _day(_get(flat, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt"))
    entry_ref = _get(flat, "AcctSvcrRef", "NtryRef")
    reversal = _get(flat, "RvslInd").lower() == "true"
    details = [_flat(tx, ns) for tx in entry.findall(f"{ns}NtryDtls/{ns}TxDtls")]
    amounts = [_tx_amount(tx) for tx in details]
    if len(details) <= 1 or None in amounts:
        details, amounts = details[:1] or [{}], [_cents(amount.text or "")]
    party = "Dbtr" if credit else "Cdtr"
    for index, (tx, cents) in enumerate(zip(details, amounts, strict=True)):
        end_to_end = _get(tx, "Refs/EndToEndId")
        result.lines.append(
            Line(
                booked_on=booked,
                amount_cents=cents,
                credit=credit,
                reference=_camt_reference(tx),
                end_to_end="" if end_to_end == "NOTPROVIDED" else end_to_end,
                # camt.053.001.08 and later wrap the party in <Pty>; earlier versions do not.
                payer_name=_get(tx, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm"),
                bank_ref=_get(tx, "Refs/AcctSvcrRef")
                or (f"{entry_ref}#{index}" if entry_ref else ""),
                returned=reversal or "RtrInf" in tx,
            )
        )


def _tx_amount(tx):
    text = _get(tx, "AmtDtls/TxAmt/Amt", "Amt")
    return _cents(text) if text else None


def _camt_reference(tx):
    parts = [(u.text or "").strip() for u in tx.get("RmtInf/Ustrd", [])]
    parts.append(_get(tx, "RmtInf/Strd/CdtrRefInf/Ref"))
    return " ".join(p for p in parts if p)[:TEXT_MAX]


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
    flat = _flat(trx, ns)
    reference = " ".join(p for p in (_get(flat, "PmtInfo"), _get(flat, "StrdRef")) if p)
    return Line(
        booked_on=_day(_get(flat, "BookDate")),
        amount_cents=_cents(_get(flat, "AccAmt")),
        credit=_get(flat, "CorD") == "C",
        reference=reference[:TEXT_MAX],
        end_to_end=_get(flat, "EndToEndId"),
        payer_name=_get(flat, "CPartySet/AccHolder/Name"),
        bank_ref=_get(flat, "BankRef"),
    )
