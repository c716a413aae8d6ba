"""The club's header and footer: set once on their page, sanitised, put around every campaign
as it went out; and a campaign duplicated into a new draft."""

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.newsletter import frame, service
from clubsite.newsletter.models import Newsletter, NewsletterFrame
from tests.conftest import csrf_token
from tests.support.mailbox import text_body

HEADER = "**Sporta un atpūtas klubs** — [klubs.lv](https://klubs.lv)"
FOOTER = "Brīvības iela 1, Rīga <script>alert(1)</script> ![pikselis](https://t.example/p.png)"


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def _save_frame(client, **parts):
    token = csrf_token(client, "/office/newsletter/settings")
    data = {"csrf_token": token, "header_lv": "", "footer_lv": "", "header_en": "", "footer_en": ""}
    return client.post("/office/newsletter/settings", data={**data, **parts})


def test_marketing_sets_the_frame_once_and_every_campaign_goes_out_in_it(
    app, client_for, subscriber, queued, drain, mailbox
):
    """Saved on the settings page; both parts of every mail carry it, sanitised like bodies."""
    client = client_for("marketing")
    _english(client)
    response = _save_frame(client, header_lv=HEADER, footer_lv=FOOTER, header_en="Sports club")
    assert response.status_code == 302
    page = client.get("/office/newsletter/settings").get_data(as_text=True)
    assert "<strong>Sporta un atpūtas klubs</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page  # shown as text, not run

    subscriber(first_name="Jānis")
    for subject in ("Pirmie jaunumi", "Otrie jaunumi"):
        queued(lv=(subject, "Sveiki! **Ziema** klāt."))
    drain()
    messages = mailbox.wait_for(2)
    assert len(messages) == 2
    for item in messages:
        html = item["message"].get_body(("html",)).get_content()
        text = text_body(item["message"]).replace("\r\n", "\n")
        assert "<strong>Sporta un atpūtas klubs</strong>" in html
        assert '<a href="https://klubs.lv" rel="noopener noreferrer">klubs.lv</a>' in html
        assert "<script" not in html and "<img" not in html
        # The frame's header, then the greeting (Latvian greets without the name), then the body.
        assert text.index("Sporta un atpūtas klubs") < text.index("Labdien!") < text.index("Ziema")
        assert text.index("Ziema") < text.index("Brīvības iela 1") < text.index("\n-- \n")
        assert "Ziema klāt.\n\nBrīvības iela 1" in text  # one blank line, as between paragraphs


def test_a_campaign_keeps_the_frame_it_went_out_with(
    app, subscriber, queued, marketer, drain, mailbox
):
    """A change of the header after Send does not reach a campaign already going out."""
    frame.save({"header_lv": "Vecā galva", "footer_lv": "Vecā kāja"}, staff=marketer)
    db.session.commit()
    subscriber()
    campaign = queued()
    frame.save({"header_lv": "Jaunā galva", "footer_lv": ""}, staff=marketer)
    db.session.commit()
    drain()
    [item] = mailbox.wait_for(1)
    text = text_body(item["message"])
    assert "Vecā galva" in text and "Vecā kāja" in text and "Jaunā galva" not in text
    assert frame.of(db.session.get(Newsletter, campaign.id))["header_lv"] == "Vecā galva"


def test_too_long_a_part_is_refused_with_the_text_kept(app, client_for, marketer):
    """Bad input: a clear message on the field, what was typed still there, nothing saved."""
    client = client_for("marketing")
    _english(client)
    long_text = "garš " * 1200
    response = _save_frame(client, header_lv="Palika", footer_en=long_text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Use at most 5000 characters." in page
    assert "Palika" in page
    assert db.session.scalar(select(NewsletterFrame.id)) is None


def test_duplicate_makes_a_new_draft_with_the_same_content_and_segment(
    app, client_for, subscriber, queued
):
    """Duplicating a sent campaign gives an editable draft; the original is left as it was."""
    site = Location(name="Centrs")
    db.session.add(site)
    db.session.commit()
    subscriber()
    original = queued(lv=("Jaunumi", "Teksts LV"), en=("News", "Text EN"), soft=True)
    original.segment_location_id, original.segment_language = site.id, "en"
    db.session.commit()
    client = client_for("marketing")
    page_url = f"/office/newsletter/{original.public_id}"
    response = client.post(
        f"{page_url}/duplicate", data={"csrf_token": csrf_token(client, page_url)}
    )
    assert response.status_code == 302
    copy = db.session.scalars(select(Newsletter).order_by(Newsletter.id.desc())).first()
    assert response.headers["Location"].endswith(f"/office/newsletter/{copy.public_id}/edit")
    assert copy.id != original.id and copy.status == "draft" and copy.recipients_count == 0
    fields = ("subject_lv", "body_lv", "subject_en", "body_en", "about_existing_services")
    fields += ("segment_location_id", "segment_plan_id", "segment_language")
    assert {f: getattr(copy, f) for f in fields} == {f: getattr(original, f) for f in fields}
    assert db.session.get(Newsletter, original.id).status == "sending"
    assert service.statistics(copy)["recipients"] == 0
