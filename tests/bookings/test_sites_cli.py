"""flask --app wsgi sites add|list|rename|close|reopen: the same rules as the Sites page, and
errors that name the sites there are."""

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy.audit import AuditEvent
from tests.bookings.conftest import add_hall, book, tomorrow


def _sites(runner, *args):
    return runner.invoke(args=["sites", *args])


def _state():
    db.session.expire_all()
    return {site.name: site.active for site in db.session.scalars(select(Location))}


def test_add_list_rename_and_close_sites(runner):
    """Each command changes what the next one lists, and each change is audited."""
    added = _sites(runner, "add", "Centrs", "--address", "Brīvības iela 1", "--hours", "7–22")
    assert added.exit_code == 0, added.output
    assert _sites(runner, "add", "Purvciems").exit_code == 0
    listed = _sites(runner, "list").output.splitlines()
    assert listed == [
        "Centrs\topen\t0 halls\tBrīvības iela 1\t7–22",
        "Purvciems\topen\t0 halls\t-\t-",
    ]
    renamed = _sites(runner, "rename", "centrs", "Rīga – centrs")
    assert renamed.exit_code == 0 and 'Renamed "centrs" to "Rīga – centrs".' in renamed.output
    assert _sites(runner, "close", "Purvciems").exit_code == 0
    assert _state() == {"Rīga – centrs": True, "Purvciems": False}
    assert "Purvciems\tclosed" in _sites(runner, "list").output
    assert _sites(runner, "reopen", "Purvciems").exit_code == 0
    assert _state() == {"Rīga – centrs": True, "Purvciems": True}
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("site.created") == 2 and "site.closed" in actions
    assert "site.changed" in actions and "site.reopened" in actions


def test_an_unknown_site_is_answered_with_the_sites_there_are(runner):
    """A typo gets the list of valid names, and nothing changes."""
    _sites(runner, "add", "Centrs")
    _sites(runner, "add", "Purvciems")
    answer = _sites(runner, "close", "Purciems")
    assert answer.exit_code != 0
    assert 'no site named "Purciems"; the sites are: "Centrs", "Purvciems"' in answer.output
    assert _state() == {"Centrs": True, "Purvciems": True}
    same = _sites(runner, "rename", "Centrs", "Centrs")
    assert same.exit_code == 0  # the same name again is no clash with itself


def test_without_sites_the_error_says_how_to_add_one(runner):
    """The first command a new club types gets pointed at `sites add`."""
    answer = _sites(runner, "rename", "Centrs", "Rīga")
    assert answer.exit_code != 0 and "there are no sites yet (sites add NAME)" in answer.output


def test_refusals_are_the_domains_and_roll_back(runner, make_staff):
    """A duplicate name and a site with bookings ahead are refused; nothing changes."""
    _sites(runner, "add", "Centrs")
    duplicate = _sites(runner, "add", "CENTRS")
    assert duplicate.exit_code != 0
    assert "There is already a site with this name." in duplicate.output
    _sites(runner, "add", "Purvciems")
    site = db.session.scalar(select(Location).where(Location.name == "Purvciems"))
    hall = add_hall("Lielā zāle", site)
    book(make_staff("reception"), hall, tomorrow(), "18:00", "19:00", now=None)
    busy = _sites(runner, "close", "Purvciems")
    assert busy.exit_code != 0 and "Purvciems has 1 upcoming bookings" in busy.output
    assert _state() == {"Centrs": True, "Purvciems": True}


def test_the_last_open_site_is_not_closed(runner):
    """Closing the club's only open site is refused from the command line too."""
    _sites(runner, "add", "Centrs")
    last = _sites(runner, "close", "Centrs")
    assert last.exit_code != 0 and "only open site" in last.output
    assert _state() == {"Centrs": True}
