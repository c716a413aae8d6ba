"""Segments narrow the lawful audience and never widen it: a property test over random members
of every consent kind, site, plan and language, and the count on the draft's page."""

import itertools
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.fees.models import Membership, Plan
from clubsite.locations import Location
from clubsite.newsletter import segments, service
from clubsite.newsletter.audience import audience_for
from clubsite.newsletter.models import Delivery, UndeliverableAddress
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from tests.conftest import csrf_token
from tests.newsletter.conftest import withdraw_in_ledger

KINDS = (
    "consent",  # given and confirmed: lawful
    "pending",  # not confirmed yet
    "withdrawn",
    "soft_current",  # soft opt-in, current member: lawful for "about services they use" only
    "soft_objected",
    "soft_former",  # soft opt-in whose membership has ended
    "suppressed",  # confirmed, but the address is on the do-not-mail list
    "undeliverable",  # confirmed, but a mail server refused the address for good
    "fees_only",  # an address given for invoices only
)
LAWFUL = {True: {"consent", "soft_current"}, False: {"consent"}}


@pytest.fixture
def club(app):
    """Two sites and two plans."""
    sites = [Location(name="Centrs"), Location(name="Imanta")]
    plans = [Plan(name="Mēneša", price_cents=3500), Plan(name="Gada", price_cents=30000)]
    db.session.add_all([*sites, *plans])
    db.session.commit()
    return [s.id for s in sites], [p.id for p in plans]


def _make(enrol, kind, site, language, number):
    """One member of a kind, at a site (or none), in a language."""
    email = f"p{number}-{kind}@example.lv"
    common = {"email": email, "language": language, "tag": kind}
    if kind in ("soft_current", "soft_objected", "soft_former"):
        member = enrol(["access", "newsletter"], basis="legitimate_interest", **common)
    elif kind == "fees_only":
        member = enrol(["access", "fees"], **common)
    else:
        member = enrol(["newsletter"], confirmed=kind != "pending", **common)
    member.location_id = site
    if kind == "withdrawn":
        withdraw_in_ledger(member)
    elif kind == "soft_objected":
        withdraw_in_ledger(member, "objected")
    elif kind == "soft_former":
        member.purpose("access").ends_at = utcnow() - timedelta(days=3)
    elif kind == "suppressed":
        consent.suppress(email, "bounced")
    elif kind == "undeliverable":
        bidx = store.index_value("email", email)
        db.session.add(
            UndeliverableAddress(address_bidx=bidx, member_id=member.id, code="smtp_550")
        )
    db.session.commit()
    return member


def _give_plan(member_id, plan_id, valid):
    """A membership on the plan, valid today, or one that ended last month."""
    today = date.today()
    ends = today + timedelta(days=20) if valid else today - timedelta(days=30)
    db.session.add(
        Membership(
            member_id=member_id,
            plan_id=plan_id,
            starts_on=today - timedelta(days=60),
            ends_on=ends,
        )
    )


def _random_members(enrol, club, seed, count):
    """`count` members with random kind, site, plan and language; their facts by member id."""
    rng = random.Random(seed)
    site_ids, plan_ids = club
    facts = {}
    for number in range(count):
        kind = KINDS[number % len(KINDS)] if number < len(KINDS) else rng.choice(KINDS)
        site = rng.choice([None, *site_ids])
        language = rng.choice(["lv", "en"])
        member = _make(enrol, kind, site, language, f"{seed}-{number}")
        plans = set()
        for plan_id in plan_ids:
            roll = rng.random()
            if roll < 0.35:
                _give_plan(member.id, plan_id, valid=True)
                plans.add(plan_id)
            elif roll < 0.5:
                _give_plan(member.id, plan_id, valid=False)  # ended: not on the plan any more
        facts[member.id] = {"kind": kind, "site": site, "language": language, "plans": plans}
    db.session.commit()
    return facts


def _matches(fact, segment):
    return (
        (segment.location_id is None or fact["site"] == segment.location_id)
        and (segment.plan_id is None or segment.plan_id in fact["plans"])
        and (segment.language is None or fact["language"] == segment.language)
    )


def _ids(about, segment=None):
    narrow = segments.conditions(segment) if segment else ()
    return {r.member_id for r in audience_for(about, narrow=narrow).recipients}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_segment_never_holds_anyone_outside_the_lawful_audience(app, enrol, club, seed):
    """For random members of every kind and every segment: the segment's recipients are
    exactly the lawful recipients who match it, never anyone the consent rules leave out."""
    facts = _random_members(enrol, club, seed, 45)
    site_ids, plan_ids = club
    for about in (False, True):
        lawful = _ids(about)
        expected_lawful = {m for m, f in facts.items() if f["kind"] in LAWFUL[about]}
        assert lawful == expected_lawful
        for site, plan, language in itertools.product(
            [None, *site_ids], [None, *plan_ids], [None, "lv", "en"]
        ):
            segment = segments.Segment(site, plan, language)
            chosen = _ids(about, segment)
            assert chosen <= lawful, (segment, {facts[m]["kind"] for m in chosen - lawful})
            assert chosen == {m for m in lawful if _matches(facts[m], segment)}, segment


def test_send_freezes_only_the_segment(app, enrol, club, newsletter, marketer):
    """Pressing Send on a segmented campaign queues exactly the lawful members it keeps."""
    facts = _random_members(enrol, club, 7, 36)
    site_ids, plan_ids = club
    draft = newsletter()
    draft.segment_location_id, draft.segment_plan_id = site_ids[0], plan_ids[1]
    db.session.commit()
    count = service.queue_newsletter(draft, staff=marketer)
    db.session.commit()
    queued = set(db.session.scalars(select(Delivery.member_id)))
    segment = segments.Segment(site_ids[0], plan_ids[1], None)
    expected = {m for m, f in facts.items() if f["kind"] == "consent" and _matches(f, segment)}
    assert queued == expected and count == len(expected)


def test_unknown_segment_values_are_refused_and_nothing_is_saved(app, client_for, club):
    """A site or plan that does not exist is refused on its field, with the text kept."""
    client = client_for("marketing")
    _english(client)
    token = csrf_token(client, "/office/newsletter/new")
    data = {
        "csrf_token": token,
        "subject_lv": "Tikai Centram",
        "body_lv": "Sveiki!",
        "segment_site": "999999",
        "segment_plan": "x",
        "segment_language": "ru",
    }
    response = client.post("/office/newsletter/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose a site from the list." in page and "Choose a plan from the list." in page
    assert "Choose a language from the list." in page and "Tikai Centram" in page
    assert db.session.scalar(select(Delivery.id)) is None
    from clubsite.newsletter.models import Newsletter

    assert db.session.scalar(select(Newsletter.id)) is None


def test_the_draft_page_counts_the_segment_never_names_it(app, client_for, enrol, club, subscriber):
    """Compose with a site and language: the draft's page says how many it reaches (a count)."""
    site_ids, _plans = club
    inside = [subscriber(language="en", first_name="Zigfrīds") for _ in range(2)]
    for member in inside:
        member.location_id = site_ids[0]
    subscriber(language="lv").location_id = site_ids[0]  # other language
    subscriber(language="en").location_id = site_ids[1]  # other site
    pending = enrol(["newsletter"], confirmed=False, language="en")
    pending.location_id = site_ids[0]  # in the segment, but not lawful
    db.session.commit()
    client = client_for("marketing")
    _english(client)
    token = csrf_token(client, "/office/newsletter/new")
    response = client.post(
        "/office/newsletter/new",
        data={
            "csrf_token": token,
            "subject_lv": "Centram",
            "body_lv": "Sveiki!",
            "segment_site": str(site_ids[0]),
            "segment_plan": "",
            "segment_language": "en",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "If you send it now, 2 members receive this newsletter." in page
    assert "Centrs" in page and "English" in page
    for member in inside:
        assert store.read(member, ["email"])["email"] not in page
    assert "Kalniņa" not in page and "Zigfrīds" not in page  # the members' names
    edit = client.get(response.headers["Location"] + "/edit").get_data(as_text=True)
    assert f'<option selected value="{site_ids[0]}">' in edit
    assert '<option selected value="en">' in edit


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
