"""The member import: map a spreadsheet's columns to registry fields, check every row, and enrol
the good rows in one transaction, in batches fast enough for a whole registry.

The same rules as a sign-up hold. Each row is validated with members.service.clean_values and
check_required; a person already registered (same email, phone or personal code, the rule of
members.service.find_existing, here looked up in bulk) or twice in the file is not duplicated.
One set of purposes and legal bases applies to the whole file. No consent is ever invented:
with consent as the newsletter's basis, a row needs its own proof of consent (a column such as
"consent given on paper on 12.03.2026"); rows without it are enrolled in the other purposes only.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from clubsite.database import utcnow
from clubsite.domain import DomainError, Stale, as_actor
from clubsite.extensions import db
from clubsite.members import import_writer
from clubsite.members.service import MemberError, check_required, clean_values
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.normalize import fold_text
from clubsite.privacy.purposes import FIELDS, PURPOSES
from clubsite.privacy.validation import ValidationError, clean_text

PROOF = "newsletter_proof"
DEDUP_FIELDS = ("email", "phone", "personal_code")
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
    for purpose_id in purposes:
        basis = bases.get(purpose_id) or PURPOSES[purpose_id].legal_bases[0]
        if basis not in PURPOSES[purpose_id].legal_bases:
            raise ImportProblem(_l("Choose one of the listed legal bases."), "purposes")
        chosen[purpose_id] = basis
    soft_opt_in = chosen.get("newsletter") == "legitimate_interest"
    if soft_opt_in and not {"access", "fees"} & set(purposes):
        # Legitimate interest covers only offers to existing members of the club's own services.
        raise ImportProblem(
            _l("Legitimate interest for the newsletter needs members: add club access or fees."),
            "newsletter_basis",
        )
    options = Options(purposes, chosen, (wording or "").strip())
    if options.needs_proof and not options.wording:
        raise ImportProblem(_l("Give the consent text people agreed to."), "wording")
    return options


def plan_import(table, mapping, options):
    """Check every row; nothing is written. Rows are numbered as in the spreadsheet."""
    check_mapping(table.headers, mapping)
    column = {target: index for index, target in enumerate(mapping) if target}
    used = {f for p in options.purposes for f in PURPOSES[p].typed_fields}
    plan = Plan(total=len(table.rows))
    plan.ignored_columns = [
        table.headers[i] for t, i in column.items() if t != PROOF and t not in used
    ]
    seen, candidates = {}, []
    for number, cells in table.rows:
        raw = {target: cells[index] for target, index in column.items()}
        row = _check_row(number, raw, options, plan)
        if row is None:
            continue
        clash = next(((f, seen[(f, k)]) for f, k in row.keys if (f, k) in seen), None)
        if clash:
            plan.refused.append((number, clash[0], _l("The same as row %(row)d.", row=clash[1])))
            continue
        seen.update({key: number for key in row.keys})
        candidates.append(row)
    registered = _registered(key for row in candidates for key in row.keys)
    for row in candidates:
        if any(key in registered for key in row.keys):
            plan.existing.append(row.number)
        else:
            plan.good.append(row)
    return plan


def _check_row(number, raw, options, plan):
    """One row's valid values and purposes, or None (refused or nothing to import)."""
    purposes, proof = list(options.purposes), ""
    if options.needs_proof:
        try:
            proof = clean_text(raw.get(PROOF), max_len=PROOF_MAX)
        except ValidationError as exc:
            plan.refused.append((number, PROOF, exc.message))
            return None
        if not proof:
            purposes.remove("newsletter")
            plan.notes.append((number, NO_PROOF if purposes else NOTHING_LEFT))
            if not purposes:
                return None
    allowed = {f for p in purposes for f in PURPOSES[p].typed_fields}
    try:
        values = clean_values(raw, allowed)
        check_required(values, purposes)
    except MemberError as exc:
        plan.refused += [(number, name, message) for name, message in exc.errors.items()]
        return None
    keys = [(f, store.index_value(f, values[f])) for f in DEDUP_FIELDS if values.get(f)]
    return Row(number, values, tuple(purposes), proof, keys)


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


class ImportStale(ImportProblem, Stale):
    """Since the check, someone registered a person the plan would add: check the file again."""


def run_import(plan, options, *, actor, only_valid=False, now=None):
    """Enrol the plan's good rows in the caller's transaction; all or nothing. Returns a count.

    With refused rows the import is refused unless only_valid (the staff member's second,
    confirmed choice); either way it is one transaction, committed by the caller. The plan is
    made beforehand (outside the write lock); a person registered since then refuses the import
    (ImportStale), so it still does exactly what the report said. actor is an Actor (or its
    ledger form, "staff:<id>" or "system").
    """
    if plan.refused and not only_valid:
        raise ImportRefused(_l("Some rows are refused, so nothing was imported."))
    if _registered(key for row in plan.good for key in row.keys):
        raise ImportStale()
    actor = as_actor(actor)
    now = now or utcnow()
    audit.record(
        "member.import",
        fields=sorted({f for row in plan.good for f in row.values}),
        detail=(
            f"rows={len(plan.good)} refused={len(plan.refused)} existing={len(plan.existing)} "
            f"purposes={','.join(options.purposes)}"
        ),
        actor=actor,
    )
    db.session.flush()  # the audit chain's head exists before the batches append to it
    import_writer.write_members(plan.good, options, actor=actor, now=now)
    return len(plan.good)
