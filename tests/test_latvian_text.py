"""Latvian that reads right (issue 15): the club's name only where the nominative fits, no
vocative built from a raw name, no double full stop after a date, no quotes around inserted
names, sizes with a decimal comma, register entries in the club's language, readable rows on
"My data", and the record of processing activities naming the software."""

import re

from babel.messages.pofile import read_po
from sqlalchemy import select

from clubsite.backup import service as backups
from clubsite.extensions import db
from clubsite.registers.models import SubjectRequest
from clubsite.registers.service import read_text
from tests.conftest import csrf_token
from tests.fees.helpers import make_member, make_plan, sell
from tests.public.helpers import ANNA, english, enrol, open_my_data, sign_up
from tests.support.mailbox import text_body
from tests.test_catalog import CATALOG

DATE_NAMES = ("date", "due", "day", "received", "period", "issued", "due_on")


def _latvian():
    """Every Latvian translation in the catalog."""
    with CATALOG.open("rb") as handle:
        for message in read_po(handle):
            if message.id:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                yield from (text for text in strings if text)


def test_the_catalog_puts_no_case_ending_on_the_club_and_no_quotes_on_names():
    """ "no %(club)s" needs a genitive a name cannot take; „%(name)s” quotes an inserted name;
    "%(date)s." doubles the full stop of "01.12.2026."."""
    wrong = []
    for text in _latvian():
        if re.search(r"\b(no|pie|par|uz|ar|bez)\s+%\(club\)s", text):
            wrong.append(("case", text))
        if re.search(r"[„“\"«]%\(\w+\)s[”“\"»]", text):
            wrong.append(("quotes", text))
        if re.search(r"%\((" + "|".join(DATE_NAMES) + r")\)s\.(\s|$)", text):
            wrong.append(("full stop", text))
    assert wrong == []


def test_the_sign_up_mail_reads_as_latvian(client, mailbox):
    """ "Sporta un atpūtas klubs pateicas…", "Labdien!", not "Sveiki, Anna!"."""
    response = sign_up(client, ["newsletter"], {"email": ANNA["email"], "first_name": "Anna"})
    assert response.status_code == 302
    message = mailbox.wait_for(1)[0]["message"]
    body = text_body(message)
    assert body.startswith("Labdien!")
    assert "Sporta un atpūtas klubs pateicas jums par pieteikšanos." in body
    assert "Anna" not in body
    assert str(message["Subject"]) == (
        "Lūdzu, apstipriniet: jaunumi un piedāvājumi, ko sūta Sporta un atpūtas klubs"
    )


def test_english_mail_still_greets_by_name(client, mailbox):
    """The name stays in English, where "Hello, Anna!" needs no case ending."""
    english(client)
    sign_up(client, ["newsletter"], {"email": ANNA["email"], "first_name": "Anna"})
    assert text_body(mailbox.wait_for(1)[0]["message"]).startswith("Hello, Anna!")


def test_my_data_has_one_full_stop_after_a_date_and_readable_rows(client):
    """ "Pēdējoreiz apstiprināti 01.12.2026." with one stop; the membership rows in words."""
    member = make_member()
    sell(member, make_plan())
    member.last_verified_at = member.created_at
    db.session.commit()
    open_my_data(client, member)
    page = client.get("/mani-dati").get_data(as_text=True)
    assert re.search(r"Pēdējoreiz apstiprināti \d\d\.\d\d\.\d{4}\.(?!\.)", page)
    assert not re.search(r"\d{4}\.\.", page)
    for code in ("<dt>plan</dt>", "<dt>starts_on</dt>", "<dt>status</dt>", ">active<"):
        assert code not in page
    assert "<dt>Abonementa veids</dt><dd>Trenažieru zāle</dd>" in page
    assert re.search(r"<dt>Sākuma datums</dt><dd>\d\d\.\d\d\.\d{4}\.</dd>", page)
    assert "<dd>Aktīvs</dd>" in page


def test_a_request_filed_from_my_data_reads_in_the_clubs_language(client):
    """The register entry names the purpose in Latvian, whatever language the member uses."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    token = csrf_token(client, "/mani-dati")
    client.post("/mani-dati/beigt/fees", data={"csrf_token": token})
    request = db.session.scalars(select(SubjectRequest)).one()
    assert read_text(request, "details") == (
        "Izbeigt apstrādes mērķi: Maksu administrēšana (lūgts lapā “Mani dati”)."
    )


def test_backup_sizes_use_the_pages_decimal_separator(client_for, app):
    """0,1 MB in Latvian, 0.1 MB in English."""
    backups.create_backup()
    admin = client_for("admin")
    assert re.search(r'<td class="num">\d+,\d&nbsp;MB</td>', admin.get("/office/backups").text)
    english(admin)
    assert re.search(r'<td class="num">\d+\.\d&nbsp;MB</td>', admin.get("/office/backups").text)


def test_the_processing_record_names_the_software(client_for, runner):
    """Art. 30: the page and `flask privacy ropa` say that clubsite does the processing."""
    page = client_for("admin").get("/office/ropa").get_data(as_text=True)
    assert "Apstrādes sistēma" in page and "clubsite (klientu datubāzes programmatūra)" in page
    result = runner.invoke(args=["privacy", "ropa", "--language", "en"])
    assert "Processing system: clubsite (member database software)" in result.output


def test_the_newsletter_greets_without_a_vocative(app):
    """The newsletter's Latvian greeting needs no case ending ("Labdien!", never "Sveiki,
    Jānis!"); the English one still greets by name."""
    from email import message_from_bytes, policy

    from clubsite.newsletter.message import prepare
    from clubsite.newsletter.models import Newsletter

    campaign = Newsletter(
        subject_lv="Ziemas jaunumi", body_lv="Sākas ziemas sezona.",
        subject_en="Winter news", body_en="The winter season begins.",
    )  # fmt: skip
    bodies = {}
    for language in ("lv", "en"):
        raw = prepare(campaign, language, "consent").personalise(
            "janis@example.lv", "Jānis", "AbCdEfGhIjKlMnOp"
        )
        message = message_from_bytes(raw, policy=policy.default)
        bodies[language] = (
            text_body(message),
            message.get_body(("html",)).get_content(),
        )
    for part in bodies["lv"]:
        assert "Labdien!" in part
        assert "Jānis" not in part and "Jāni" not in part and "Sveiki," not in part
    assert all("Hello, Jānis!" in part for part in bodies["en"])
