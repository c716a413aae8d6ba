"""flask --app wsgi staff create|setup-link|unlock|reset-2fa"""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.privacy.roles import ROLES
from clubsite.staff import service, twofactor


@click.group("staff")
def cli():
    """Staff accounts."""


@cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(list(ROLES)),
    help="The staff member's role (may be repeated).",
)
@click.option("--name", default=None, help="Full name (default: the part of the email before @)")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
@with_appcontext
def create(email, roles, name, password_stdin):
    """Create a staff account with a password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_staff(email, name or email.split("@")[0], list(roles), password)
    except service.StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"Created staff account {user.email} with role(s) {user.roles}.")


@cli.command("setup-link")
@with_appcontext
def setup_link():
    """Print a one-time link that creates the first admin (only while no staff exists)."""
    if service.staff_count() > 0:
        return
    token = service.create_setup_token("first-admin")
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo("")
    click.echo(
        "No staff account exists yet. Open this link within 1 hour to create the first admin:"
    )
    click.echo(f"    {base}/office/setup/{token}")
    click.echo("")


@cli.command("unlock")
@click.argument("email")
@with_appcontext
def unlock(email):
    """Lift a login lock."""
    user = service.find_by_email(email)
    if user is None:
        raise click.ClickException("no such staff account")
    service.unlock(user)
    db.session.commit()
    click.echo("Unlocked.")


@cli.command("reset-2fa")
@click.argument("email")
@with_appcontext
def reset_two_factor(email):
    """Remove a staff member's two-factor sign-in (a lost phone): the secret, the recovery
    codes and every session; they log in with their password and set it up anew."""
    user = service.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no staff account with the email {email.strip().lower()}")
    report = twofactor.reset(user, actor=SYSTEM, detail="cli")
    db.session.commit()
    if report.had_secret:
        click.echo(f"Two-factor sign-in removed for {user.email}.")
    else:
        click.echo(f"{user.email} had no two-factor sign-in set up; nothing to remove.")
    click.echo(f"Recovery codes deleted: {report.codes_removed} unused.")
    click.echo(f"Sessions ended: {report.sessions_ended}.")
    click.echo("They log in with their password and can set up two-factor sign-in again.")
