"""flask --app wsgi fees issue-invoices --period YYYY-MM"""

import click
from flask.cli import with_appcontext

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import bank_cli, mailing


@click.group("fees")
def cli():
    """Fee administration: the month's invoice run."""


@cli.command("issue-invoices")
@click.option(
    "--period", "month", required=True, help="The month whose periods to invoice: YYYY-MM."
)
@with_appcontext
def issue_invoices(month):
    """Issue the invoices of every period starting in the month and send each to its member."""
    try:
        first, last = mailing.period_days(month)
    except ValueError:
        raise click.BadParameter(
            "write the month as YYYY-MM, e.g. 2026-12", param_hint="--period"
        ) from None
    report = mailing.issue_and_queue(first, last, actor=Actor.system())
    db.session.commit()
    click.echo(
        f"issued {report.issued} invoices: {report.mailed} queued by email, "
        f"{report.desk} to hand over at the desk"
    )


# Direct debit and bank statements (clubsite.fees.bank_cli): sepa-export, import-statement.
for _command in bank_cli.COMMANDS:
    cli.add_command(_command)
