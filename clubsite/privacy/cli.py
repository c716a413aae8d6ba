"""flask --app wsgi privacy retention|ropa|consent-proof,  keys rotate|retire|usage  and
audit verify"""

import click
from flask import current_app
from flask.cli import with_appcontext

from clubsite.config import ConfigError
from clubsite.database import as_utc
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.privacy import audit, consent, keys, ropa
from clubsite.privacy.retention import run_retention
from clubsite.privacy.validation import ValidationError, validate_email


@click.group("privacy")
def cli():
    """Retention and the record of processing activities."""


@cli.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be erased; change nothing.")
@with_appcontext
def retention(dry_run):
    """End purposes whose time is over and erase what no remaining purpose needs."""
    report = run_retention(dry_run=dry_run)
    for line in _retention_lines(report):
        click.echo(line)
    ended, erased = ("would end", "would erase") if dry_run else ("ended", "erased")
    click.echo(
        f"{ended} {len(report.ended)} purposes, {erased} {len(report.erased_members)} members"
    )


def _retention_lines(report):
    """One line per ended purpose, erased member and clean-up task, in the future on a dry run
    (public ids and field names only)."""
    if not report.dry_run:
        return report.lines()
    lines = [
        f"{pid}: purpose {purpose} would end, would erase {', '.join(fields) or 'no fields'}"
        for pid, purpose, fields in report.ended
    ]
    lines += [f"{pid}: member would be erased" for pid in report.erased_members]
    lines += [f"{name}: {count} rows would be cleaned up" for name, count in report.tasks.items()]
    return lines


@cli.command("ropa")
@click.option("--language", type=click.Choice(["lv", "en"]), default="lv")
@with_appcontext
def print_ropa(language):
    """Print the record of processing activities (GDPR Art. 30)."""
    click.echo(ropa.as_text(language))


@cli.command("consent-proof")
@click.argument("email")
@with_appcontext
def consent_proof(email):
    """Show what an address agreed to and when it withdrew (also after its member was erased),
    and whether it is on the do-not-mail list. The lookup is audited (field names only)."""
    try:
        address = validate_email(email)
    except ValidationError as exc:
        raise click.ClickException(str(exc.message)) from None
    proof = consent.proof_of_consent(address)
    audit.record(
        "consent.proof_viewed",
        fields=["email"],
        detail=f"events={len(proof.events)}",
        actor=SYSTEM,
    )
    db.session.commit()
    if not proof.events:
        click.echo("No consent events for this address.")
    for event in proof.events:
        detached = "  (member erased)" if event.detached else ""
        click.echo(
            f"{_when(event.at)}  {event.purpose}  {event.kind}  source={event.source}{detached}"
        )
        if event.wording_hash:
            click.echo(f"    wording {event.wording_hash} ({event.wording_language or '?'}):")
            click.echo(f"    {event.wording or '(text not stored)'}")
    if proof.suppressed:
        click.echo(
            f"Suppressed since {_when(proof.suppressed_at)} ({proof.suppressed_reason}):"
            " no newsletter is sent to this address until the person confirms a new consent."
        )
    else:
        click.echo("Not on the do-not-mail list.")


def _when(moment):
    """A moment for a proof: UTC, to the second, unambiguous."""
    return as_utc(moment).isoformat(timespec="seconds")


@click.group("keys")
def keys_cli():
    """Data encryption keys."""


@keys_cli.command("rotate")
@with_appcontext
def rotate():
    """Encrypt everything under a new key (the old key stays readable until retired)."""
    try:
        old, new, count = keys.rotate(progress=_progress)
    except ConfigError as exc:
        raise click.ClickException(
            f"{exc}. With keys in the environment: run `keys new`, put its output into "
            "CLUBSITE_DATA_KEYS of every process, then run `keys reencrypt`."
        ) from None
    click.echo(f"Re-encrypted {count} values from {old} to {new}.")
    click.echo(f"Back up the new keys, then retire the old one: flask --app wsgi keys retire {old}")


def _progress(table, last):
    click.echo(f"  {table}: up to row {last}")


@keys_cli.command("new")
@with_appcontext
def new_keys():
    """Print the key ring with a new active key added (for keys kept in the environment)."""
    click.echo(current_app.config["KEY_RING"].with_new_active_key().to_json())


@keys_cli.command("reencrypt")
@with_appcontext
def reencrypt():
    """Re-encrypt every value not yet under the active key (safe to run again)."""
    count = keys.reencrypt_all(current_app.config["KEY_RING"], _progress)
    click.echo(f"Re-encrypted {count} values under {current_app.config['KEY_RING'].active_id}.")


@keys_cli.command("retire")
@click.argument("key_id")
@with_appcontext
def retire(key_id):
    """Remove an old key that no stored value uses any more."""
    try:
        keys.retire(key_id)
    except (ValueError, Exception) as exc:  # noqa: BLE001  (any refusal is shown as one line)
        raise click.ClickException(str(exc)) from None
    click.echo(f"Key {key_id} retired.")


@keys_cli.command("usage")
@with_appcontext
def usage():
    """How many stored values each key encrypts."""
    for key_id, count in sorted(keys.key_usage().items()):
        click.echo(f"{key_id}: {count}")


@click.group("audit")
def audit_cli():
    """The audit log."""


@audit_cli.command("verify")
@click.option(
    "--head",
    "expected_head",
    metavar="HASH",
    help="Also fail unless the chain still reaches this head (a backup manifest's audit_head).",
)
@click.pass_context
@with_appcontext
def verify_audit(ctx, expected_head):
    """Walk the audit chain under the audit key; exit 1 at the first event that breaks it.

    The log alone cannot show that its newest events were cut off and its head row rewritten;
    a head recorded elsewhere (--head) can: an intact chain that no longer reaches it was cut.
    """
    result = audit.verify()
    if not result.intact:
        where = "its head" if result.broken_at == -1 else f"event {result.broken_at}"
        click.echo(
            f"audit log broken at {where}: {result.reason} "
            f"(the {result.events} events before it are intact)"
        )
        ctx.exit(1)
    if expected_head and not audit.reaches(expected_head.strip().lower()):
        click.echo(
            f"audit log intact: {result.events} events, but it does not reach head "
            f"{expected_head}: the events up to it were removed (or a restore went back before it)"
        )
        ctx.exit(1)
    click.echo(f"audit log intact: {result.events} events")
