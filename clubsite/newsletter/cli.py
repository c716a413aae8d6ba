"""flask --app wsgi newsletter send-queued"""

import click
from flask.cli import with_appcontext

from clubsite.newsletter.sender import Sender


@click.group("newsletter")
def cli():
    """Newsletter sending."""


@cli.command("send-queued")
@click.option("--wait", is_flag=True, help="Keep running until every delivery is final.")
@click.option("--rate", type=float, default=None, help="Messages per second (0: no limit).")
@click.option("--batch-size", type=int, default=None, help="Deliveries per claim.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def send_queued(wait, rate, batch_size, quiet):
    """Send the queued newsletter mail (safe to run in several processes at once)."""
    sender = Sender(batch_size=batch_size, rate=rate)
    total = sender.store.open_count()
    if quiet or not total:
        report = sender.run(wait=wait)
    else:
        with click.progressbar(length=total, label="Sending", show_pos=True) as bar:
            sender.on_result = lambda outcome: bar.update(1) if outcome != "retry" else None
            report = sender.run(wait=wait)
    click.echo(
        f"sent {report['sent']}, failed {report['failed']}, "
        f"to retry later {report['retry']}, cancelled {report['cancelled']}"
    )
