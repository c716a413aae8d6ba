"""The member import: map a spreadsheet's columns to registry fields, check every row, then enrol
the good rows batch by batch, fast enough for a whole registry.

The same rules as a sign-up hold. Each row is validated with members.service.clean_values and
check_required; a person already registered (same email address or personal code, the rule of
members.service.find_existing, here looked up in bulk) or twice in the file is not duplicated.
One set of purposes and legal bases applies to the whole file. No consent is ever invented:
with consent as the newsletter's basis, a row needs its own proof of consent (a column such as
"consent given on paper on 12.03.2026"); rows without it are enrolled in the other purposes only.

Every row is checked first, writing nothing (plan_import). The rows are then written in batches
(run_batches), each its own short transaction, so the write lock is held for one batch at a
time, never for the whole file. Running it again is safe: a person registered by an earlier
batch, an earlier run of the same file or anyone else is skipped as already a member.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from clubsite.bulk import gc_paused, page_cache
from clubsite.database import transactions_begin, utcnow
from clubsite.domain import DomainError, as_actor
from clubsite.extensions import db
from clubsite.members import import_writer
from clubsite.members.service import (
    IDENTIFYING_FIELDS,
    MemberError,
    check_required,
    clean_values,
)
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.normalize import fold_text
from clubsite.privacy.purposes import CLUB_SERVICES, FIELDS, PURPOSES, basis_refusal
from clubsite.privacy.validation import ValidationError, clean_text

log = logging.getLogger(__name__)

PROOF = "newsletter_proof"
DEDUP_FIELDS = IDENTIFYING_FIELDS  # as service.find_existing: a shared phone is a family's
PROOF_MAX = 200

# Registry fields a column may be mapped to (card numbers are issued by the system).
TARGETS = {name: f.label for name, f in FIELDS.items() if name != "card_number"}
TARGETS[PROOF] = _l("Proof of newsletter consent")

# Column names the club's spreadsheets are likely to use, folded (see guess_mapping).
SYNONYMS = {
    "first_name": ("first name", "firstname", "given name", "vards"),
    "last_name": ("last name", "lastname", "surname", "family name", "uzvards"),
    "email": ("email", "e-mail", "e mail", "e-pasts", "epasts", "e pasts", "mail"),
    "phone": ("phone", "telephone", "mobile", "tel", "tel.", "talrunis", "telefons", "mob."),
    "postal_address": ("address", "postal address", "adrese", "pasta adrese"),
    "personal_code": ("personal code", "personas kods", "p.k.", "pk", "personal id"),
    "iban": ("iban", "bank account", "konts", "bankas konts", "konta numurs"),
    PROOF: ("consent", "newsletter consent", "consent proof", "piekrisana", "jaunumu piekrisana"),
}

NO_PROOF = _l("Newsletter: no proof of consent — not enrolled.")
NOTHING_LEFT = _l("Nothing to import: the newsletter was the only purpose.")


class ImportProblem(DomainError):
    """A refused import setting; .message is for the staff member, .field names the input."""


@dataclass(frozen=True)
class Options:
    """What the whole file is imported for."""

    purposes: tuple
    bases: dict  # purpose id -> legal basis id
    wording: str = ""  # the consent text people agreed to (consent basis only)

    @property
    def needs_proof(self):
        """True if newsletter rows need their own proof of consent."""
        return "newsletter" in self.purposes and self.bases.get("newsletter") == "consent"


@dataclass
class Row:
    """A valid row, ready to enrol."""

    number: int
    values: dict
    purposes: tuple
    proof: str = ""
    keys: list = field(default_factory=list)  # (field, blind index) for deduplication


@dataclass
class Plan:
    """What an import would do: rows to enrol, refused rows, rows already registered, notes."""

    good: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (row number, field or None, message)
    existing: list = field(default_factory=list)  # row numbers
    notes: list = field(default_factory=list)  # (row number, message)
    ignored_columns: list = field(default_factory=list)  # mapped, but no chosen purpose uses it
    total: int = 0


def guess_mapping(headers):
    """A first guess of each column's field from its name (the staff member corrects it)."""
    folded = {alias: target for target, aliases in SYNONYMS.items() for alias in aliases}
    mapping, used = [], set()
    for header in headers:
        target = folded.get(fold_text(header or ""))
        mapping.append(target if target and target not in used else "")
        used.add(target)
    return mapping


def check_mapping(headers, mapping):
    """Each field at most once, only known fields, and at least one column mapped."""
    chosen = [target for target in mapping if target]
    if len(mapping) != len(headers) or any(t not in TARGETS for t in chosen):
        raise ImportProblem(_l("Choose a field or “ignore” for every column."))
    if not chosen:
        raise ImportProblem(_l("Map at least one column to a field."))
    if len(chosen) != len(set(chosen)):
        raise ImportProblem(_l("Each field may be chosen for one column only."))


def check_options(purposes, bases, wording=""):
    """The purposes and legal bases for the whole file, checked against the registry."""
    purposes = tuple(p for p in PURPOSES if p in purposes)
    if not purposes:
        raise ImportProblem(_l("Choose at least one purpose."), "purposes")
    chosen = {}
    club_member = bool(set(CLUB_SERVICES) & set(purposes))  # the soft opt-in's condition
    for purpose_id in purposes:
        basis = bases.get(purpose_id) or PURPOSES[purpose_id].legal_bases[0]
        refusal = basis_refusal(purpose_id, basis, club_member=club_member)
        if refusal:
            raise ImportProblem(refusal, f"{purpose_id}_basis")
        chosen[purpose_id] = basis
    options = Options(purposes, chosen, (wording or "").strip())
    if options.needs_proof and not options.wording:
        raise ImportProblem(_l("Give the consent text people agreed to."), "wording")
    return options


@gc_paused()
def plan_import(table, mapping, options):
    """Check every row; nothing is written. Rows are numbered as in the spreadsheet."""
    check_mapping(table.headers, mapping)
    column = {target: index for index, target in enumerate(mapping) if target}
    used = {f for p in options.purposes for f in PURPOSES[p].typed_fields}
    plan = Plan(total=len(table.rows))
    plan.ignored_columns = [
        table.headers[i] for t, i in column.items() if t != PROOF and t not in used
    ]
    checker = _Checker(options, set(column))
    seen, candidates = {}, []
    for number, cells in table.rows:
        raw = {target: cells[index] for target, index in column.items()}
        row = checker.check_row(number, raw, plan)
        if row is None:
            continue
        clash = next(((f, seen[(f, k)]) for f, k in row.keys if (f, k) in seen), None)
        if clash:
            plan.refused.append((number, clash[0], _l("The same as row %(row)d.", row=clash[1])))
            continue
        seen.update({key: number for key in row.keys})
        candidates.append(row)
    with transactions_begin(immediate=False):  # a read: no write lock, even in a command
        registered = _registered(key for row in candidates for key in row.keys)
    for row in candidates:
        if any(key in registered for key in row.keys):
            plan.existing.append(row.number)
        else:
            plan.good.append(row)
    return plan


class _Checker:
    """The sign-up rules for each row, each distinct value of a field checked once.

    clean_values checks every field on its own, so its verdict on a value (the value to store,
    or the message) is the same in every row that has it; a file repeats first names, last
    names, proofs of consent and the like thousands of times. check_required depends only on
    which fields a row has. Every row still gets every check and the same messages, in the
    same order, as clean_values and check_required would give it.
    """

    def __init__(self, options, mapped):
        self.options = options
        self.mapped = mapped  # the fields a column is mapped to
        self.verdicts = {}  # (field, text) -> (True, value or None) or (False, message)
        self.fields = {}  # purposes -> the mapped fields they use (an unmapped one is empty)
        self.required = {}  # (purposes, fields given) -> check_required's errors, or None

    def check_row(self, number, raw, plan):
        """One row's valid values and purposes, or None (refused or nothing to import)."""
        purposes, proof = self.options.purposes, ""
        if self.options.needs_proof:
            ok, proof = self._verdict(PROOF, raw.get(PROOF, ""))
            if not ok:
                plan.refused.append((number, PROOF, proof))
                return None
            if not proof:
                purposes = tuple(p for p in purposes if p != "newsletter")
                plan.notes.append((number, NO_PROOF if purposes else NOTHING_LEFT))
                if not purposes:
                    return None
        names = self.fields.get(purposes)
        if names is None:
            allowed = {f for p in purposes for f in PURPOSES[p].typed_fields}
            names = self.fields[purposes] = [f for f in allowed if f in self.mapped]
        verdicts, values, errors = self.verdicts, {}, {}
        for name in names:
            text = raw[name]
            verdict = verdicts.get((name, text))
            if verdict is None:
                verdict = verdicts[(name, text)] = _check_value(name, text)
            ok, result = verdict
            if not ok:
                errors[name] = result
            elif result is not None:
                values[name] = result
        if not errors:
            key = (purposes, frozenset(values))
            if key not in self.required:
                try:
                    check_required(values, purposes)
                    self.required[key] = None
                except MemberError as exc:
                    self.required[key] = exc.errors
            errors = self.required[key] or {}
        if errors:
            plan.refused += [(number, name, message) for name, message in errors.items()]
            return None
        keys = [(f, store.index_value(f, values[f])) for f in DEDUP_FIELDS if f in values]
        return Row(number, values, purposes, proof, keys)

    def _verdict(self, name, text):
        verdict = self.verdicts.get((name, text))
        if verdict is None:
            verdict = self.verdicts[(name, text)] = _check_value(name, text)
        return verdict


def _check_value(name, text):
    """(True, the value to store or None when empty) or (False, the message) for one cell."""
    try:
        if name == PROOF:
            return True, clean_text(text, max_len=PROOF_MAX)
        return True, clean_values({name: text}, (name,)).get(name)
    except ValidationError as exc:
        return False, exc.message
    except MemberError as exc:
        return False, exc.errors[name]


def _registered(keys):
    """The (field, blind index) pairs that some member already has."""
    keys = list(keys)
    found = set()
    for name in {name for name, _digest in keys}:
        taken = import_writer.taken_indexes(name)
        found |= {(n, digest) for n, digest in keys if n == name and digest in taken}
    return found


class ImportRefused(ImportProblem):
    """Some rows are refused and the staff member did not choose to import only the valid ones."""


class ImportInterrupted(ImportProblem):
    """A batch could not be written; the batches before it are imported (.result)."""

    def __init__(self, result):
        super().__init__(
            _l(
                "The import stopped part way (members imported: %(num)d). Import the same file "
                "again: the people already imported are skipped.",
                num=result.imported,
            )
        )
        self.result = result


BATCH_ROWS = 1000  # rows per transaction: the write lock is held for one batch at a time
RETRIES = 2  # a batch that ran into someone's new member or card (a unique index): tried again


@dataclass
class ImportResult:
    """What an import did: members written, rows skipped when written, batches committed."""

    imported: int = 0
    skipped: list = field(default_factory=list)  # row numbers registered by the time of writing
    batches: int = 0
    to_confirm: int = 0  # newsletter consents waiting for the person's confirmation by mail


@contextmanager
def commit_each_batch():
    """A batch's own transaction outside a request (commands, tests): it begins with the write
    lock and is committed at its end. What the session had open before is committed first."""
    session = db.session()
    if session.in_transaction():
        session.commit()
    with transactions_begin(immediate=True):
        try:
            yield
            session.commit()
        except BaseException:
            session.rollback()
            raise


@gc_paused()
def run_batches(
    plan,
    options,
    *,
    actor,
    only_valid=False,
    now=None,
    transaction=commit_each_batch,
    on_first=None,
    on_last=None,
    batch_rows=None,
):
    """Enrol the plan's good rows, batch by batch, each batch in a transaction of its own.

    transaction is the context manager each batch runs in: unit_of_work.write from a request;
    by default each batch is committed (commands, tests). A batch is encrypted and indexed
    before its transaction begins; inside it, rows whose person is registered by then are
    skipped (ImportResult.skipped), so running the same file again imports only the rest.
    on_first() runs inside the first batch's transaction before it writes (the web route checks
    that its upload is still there), on_last() inside the last one's. With refused rows nothing
    is written unless only_valid (the staff member's second, confirmed choice). A batch that
    fails for the database's sake ends the import with ImportInterrupted: the batches before it
    stay imported. actor is an Actor (or its ledger form, "staff:<id>" or "system").
    """
    if plan.refused and not only_valid:
        raise ImportRefused(_l("Some rows are refused, so nothing was imported."))
    actor = as_actor(actor)
    now = now or utcnow()
    size = batch_rows or BATCH_ROWS
    chunks = [plan.good[start : start + size] for start in range(0, len(plan.good), size)]
    chunks = chunks or [[]]  # no row to write: the upload is still claimed and discarded
    with transactions_begin(immediate=False):  # a read: no write lock, even in a command
        card_numbers = import_writer.CardNumbers.for_import(plan.good)
    token_cache = {}
    result = ImportResult()
    for number, rows in enumerate(chunks, start=1):
        batch = import_writer.prepare(
            rows, options, now=now, card_numbers=card_numbers, token_cache=token_cache
        )
        for attempt in range(RETRIES + 1):
            try:
                with transaction():
                    if number == 1 and on_first is not None:
                        on_first()
                    with page_cache():
                        written, skipped = import_writer.write_batch(
                            batch,
                            options,
                            actor=actor,
                            now=now,
                            card_numbers=card_numbers,
                            check_cards=attempt > 0,
                        )
                    _record_batch(plan, options, actor, written, skipped, number, len(chunks))
                    if number == len(chunks) and on_last is not None:
                        on_last()
                break
            except IntegrityError as exc:
                log.warning("import batch %d: %s (attempt %d)", number, type(exc).__name__, attempt)
                if attempt == RETRIES:
                    raise ImportInterrupted(result) from exc
            except SQLAlchemyError as exc:
                log.warning("import batch %d failed: %s", number, type(exc).__name__)
                raise ImportInterrupted(result) from exc
        result.imported += len(written)
        result.to_confirm += sum("newsletter" in row.purposes for row in written) * (
            options.needs_proof
        )
        result.skipped += [row.number for row in skipped]
        result.batches += 1
    return result


def _record_batch(plan, options, actor, written, skipped, number, batches):
    """The audit event of one batch (each member's own "member.created" is recorded too)."""
    refused = len({row_number for row_number, _field, _message in plan.refused})
    audit.record(
        "member.import",
        fields=sorted({f for row in written for f in row.values}),
        detail=(
            f"batch={number}/{batches} rows={len(written)} skipped={len(skipped)} "
            f"refused={refused} existing={len(plan.existing)} "
            f"purposes={','.join(options.purposes)}"
        ),
        actor=actor,
    )


def run_import(plan, options, *, actor, only_valid=False, now=None, **batches):
    """Enrol the plan's good rows (run_batches, each batch committed); the number imported."""
    return run_batches(
        plan, options, actor=actor, only_valid=only_valid, now=now, **batches
    ).imported
