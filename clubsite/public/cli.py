"""flask --app wsgi members reverify"""

import click
from flask.cli import with_appcontext

from clubsite.mail import MailError
from clubsite.public.reverify import send_reverification_mails


@click.group("members")
def cli():
    """Members: the yearly accuracy check."""


@cli.command("reverify")
@click.option("--limit", default=500, show_default=True, help="At most this many mails per run.")
@with_appcontext
def reverify(limit):
    """Ask members whose details are a year old to confirm or correct them."""
    try:
        sent, failed = send_reverification_mails(limit=limit)
    except MailError as exc:
        raise click.ClickException(f"cannot send mail: {exc}") from None
    click.echo(f"Sent {sent} re-verification mails; {failed} failed.")
