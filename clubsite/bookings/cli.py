"""flask --app wsgi sites add|list|rename|close|reopen: the club's sites, as on the Sites page."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from clubsite.bookings import sites
from clubsite.bookings.errors import SiteError
from clubsite.bookings.models import Hall
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.locations import all_locations


@click.group("sites")
def cli():
    """Club sites (filiāles): one member database for all of them."""


def _site(name):
    """The site named so, or an error that lists the sites there are."""
    site = sites.site_by_name(name)
    if site is None:
        known = ", ".join(f'"{s.name}"' for s in all_locations())
        hint = f"the sites are: {known}" if known else "there are no sites yet (sites add NAME)"
        raise click.ClickException(f'no site named "{name}"; {hint}')
    return site


def _commit(action, *args, **kwargs):
    """Run a sites service action and commit, or roll back and say why it was refused."""
    try:
        result = action(*args, actor=Actor.system(), **kwargs)
    except SiteError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    return result


@cli.command("add")
@click.argument("name")
@click.option("--address", default="", help="Street, town and postcode.")
@click.option("--hours", "opening_hours", default="", help='e.g. "Mon-Fri 7:00-22:00".')
@with_appcontext
def add(name, address, opening_hours):
    """Add an open site."""
    raw = {"name": name, "address": address, "opening_hours": opening_hours}
    site = _commit(sites.add_site, raw)
    click.echo(f'Added the site "{site.name}".')


@cli.command("list")
@with_appcontext
def list_sites():
    """Every site: name, open or closed, halls, address and opening hours."""
    halls = dict(
        db.session.execute(select(Hall.location_id, func.count()).group_by(Hall.location_id)).all()
    )
    for site in all_locations():
        state = "open" if site.active else "closed"
        columns = [site.name, state, f"{halls.get(site.id, 0)} halls"]
        columns += [site.address or "-", site.opening_hours or "-"]
        click.echo("\t".join(columns))


@cli.command("rename")
@click.argument("name")
@click.argument("new_name")
@with_appcontext
def rename(name, new_name):
    """Rename a site (its address and opening hours stay)."""
    site = _site(name)
    raw = {"name": new_name, "address": site.address, "opening_hours": site.opening_hours}
    _commit(sites.update_site, site, raw)
    click.echo(f'Renamed "{name}" to "{site.name}".')


@cli.command("close")
@click.argument("name")
@with_appcontext
def close(name):
    """Close a site (refused while bookings lie ahead at its halls)."""
    site = _site(name)
    _commit(sites.close_site, site)
    click.echo(f'Closed the site "{site.name}".')


@cli.command("reopen")
@click.argument("name")
@with_appcontext
def reopen(name):
    """Open a closed site again."""
    site = _site(name)
    _commit(sites.reopen_site, site)
    click.echo(f'Reopened the site "{site.name}".')
