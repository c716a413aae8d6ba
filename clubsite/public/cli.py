"""flask --app wsgi members reverify"""

import click
from flask.cli import with_appcontext

from clubsite.public.reverify import DEFAULT_LIMIT, send_reverification_mails


@click.group("members")
def cli():
    """Members: the yearly accuracy check."""


@cli.command("reverify")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, help="At most this many mails.")
@with_appcontext
def reverify(limit):
    """Ask members whose details are a year old to confirm or correct them (the job runner's
    `reverify` job does this daily; the mails go out through the outbox)."""
    queued = send_reverification_mails(limit=limit)
    click.echo(f"Queued {queued} re-verification mails; the job runner sends them.")
