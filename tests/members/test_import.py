"""The member import: CSV and XLSX read in memory, column mapping, validation row by row,
deduplication against the registry and within the file, all or nothing, the refused-rows
report, and no invented consent."""

import io
import re
import tempfile
from datetime import timedelta

import openpyxl
import pytest
import werkzeug.formparser
from sqlalchemy import delete as sa_delete
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.members import import_files, importer, service
from clubsite.newsletter.audience import audience_for
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent, verify_chain
from clubsite.privacy.models import ConsentEvent, Member, MemberNameToken, MemberPurpose
from clubsite.privacy.retention import run_retention
from tests.conftest import csrf_token

HEADER = "Vārds;Uzvārds;E-pasts;Tālrunis;Piekrišana"
GOOD = [
    "Jānis;Bērziņš;janis@example.lv;+371 2612 3456;papīra anketa 12.03.2026",
    "Līga;Ozoliņa;liga@example.lv;29111111;",
    "Pēteris;Kalniņš;peteris@example.lv;;",
]


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def _csv(*rows, header=HEADER):
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _xlsx(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def admin(client_for):
    """A trained admin's client, in English."""
    client = client_for("admin")
    _english(client)
    return client


def _upload(client, data, filename="members.csv"):
    url = "/office/members/import"
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def _submit(client, url, action, purposes, mapping, **extra):
    data = {
        "csrf_token": csrf_token(client, url),
        "action": action,
        "purposes": purposes,
        "fees_basis": "contract",
        "newsletter_basis": extra.pop("newsletter_basis", "consent"),
        "wording": extra.pop("wording", "Es piekrītu jaunumu saņemšanai."),
        **{f"col_{i}": target for i, target in enumerate(mapping)},
        **extra,
    }
    return client.post(url, data=data)


MAPPING = ["first_name", "last_name", "email", "phone", "newsletter_proof"]


def _members():
    return db.session.scalar(select(db.func.count(Member.id)))


def test_csv_upload_preview_guesses_columns_and_is_audited(admin):
    """The first rows are shown, the columns guessed from their names, the preview audited."""
    url = _upload(admin, _csv(*GOOD))
    page = admin.get(url).get_data(as_text=True)
    assert "Jānis" in page and "liga@example.lv" in page
    assert '<option selected value="email">' in page or 'value="email" selected' in page
    preview = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.import_previewed")
    ).all()
    assert preview and "email" in preview[-1].fields and preview[-1].detail == "rows=3"
    stored = db.session.scalar(select(import_files.ImportUpload))
    assert "Jānis".encode() not in stored.content_enc
    assert b"janis@example.lv" not in stored.content_enc


def test_import_all_rows_with_consent_only_where_proven(admin):
    """Rows without proof are enrolled in the other purposes only, and the report says so."""
    url = _upload(admin, _csv(*GOOD))
    check = _submit(admin, url, "check", ["fees", "newsletter"], MAPPING)
    text = check.get_data(as_text=True)
    assert "Newsletter: no proof of consent — not enrolled." in text
    assert "Import 3 members" in text
    assert "will not be imported: Tālrunis." in text
    done = _submit(admin, url, "import", ["fees", "newsletter"], MAPPING)
    assert done.status_code == 200 and "3 members have been imported." in done.get_data(
        as_text=True
    )
    assert _members() == 3
    janis = service.find_existing({"email": "janis@example.lv"})
    liga = service.find_existing({"email": "liga@example.lv"})
    assert {p.purpose for p in janis.purposes} == {"fees", "newsletter"}
    assert {p.purpose for p in liga.purposes} == {"fees"}
    # Staff hold only a proof: the consent waits for the person's own confirmation.
    assert consent.state(janis, "newsletter") == "pending"
    assert consent.state(liga, "newsletter") == "none"
    assert janis.purpose("newsletter").keep_until is not None
    given = db.session.scalar(
        select(ConsentEvent).where(ConsentEvent.member_id == janis.id, ConsentEvent.kind == "given")
    )
    assert given.proof == "papīra anketa 12.03.2026" and given.source == "import"
    assert given.wording_hash == consent.wording_hash("Es piekrītu jaunumu saņemšanai.")
    values = store.read(janis, ["first_name", "last_name", "email"])
    assert values == {"first_name": "Jānis", "last_name": "Bērziņš", "email": "janis@example.lv"}
    assert not janis.has_field("phone")  # no chosen purpose uses it: dropped unread
    enrolment = janis.purpose("fees")
    assert enrolment.source == "import" and enrolment.field_list == [
        "first_name",
        "last_name",
        "email",
    ]
    # Imported members are found by name like any other.
    token = store.name_token("berz")
    assert db.session.scalar(select(MemberNameToken).where(MemberNameToken.token == token))
    # One audit event per member, the chain intact, and the upload gone.
    created = db.session.scalars(
        select(AuditEvent.subject_id).where(AuditEvent.action == "member.created")
    ).all()
    assert set(created) == {m.public_id for m in db.session.scalars(select(Member))}
    assert verify_chain() is None
    assert db.session.scalar(select(db.func.count(import_files.ImportUpload.id))) == 0


def test_newsletter_only_rows_without_proof_are_not_imported(admin):
    """With the newsletter as the only purpose, a row without proof brings nobody in."""
    url = _upload(admin, _csv(*GOOD))
    done = _submit(admin, url, "import", ["newsletter"], MAPPING)
    assert "1 member has been imported." in done.get_data(as_text=True)
    assert "the newsletter was the only purpose" in done.get_data(as_text=True)
    assert _members() == 1
    assert db.session.scalar(select(ConsentEvent.kind)) == "given"  # not confirmed by staff


def test_refused_rows_stop_the_whole_import_until_confirmed(admin):
    """All or nothing; the report names row, field and reason but no value; then valid only."""
    rows = [
        GOOD[0],
        "Anna;Liepa;not-an-address;;",
        "Ērika;;erika@example.lv;;",
        "Oskars;Jansons;janis@example.lv;;",  # the same email as row 2
    ]
    url = _upload(admin, _csv(*rows))
    check = _submit(admin, url, "check", ["fees"], MAPPING)
    text = check.get_data(as_text=True)
    report = text.split("Refused rows</h3>")[1].split("</table>")[0]
    assert "not-an-address" not in report and "Ērika" not in report
    assert ">3<" in report and "Enter a valid email address." in report
    assert ">4<" in report and "Please fill this in." in report
    assert ">5<" in report and "The same as row 2." in report

    refused = _submit(admin, url, "import", ["fees"], MAPPING)
    assert "nothing was imported" in refused.get_data(as_text=True)
    assert _members() == 0
    unconfirmed = _submit(admin, url, "import_valid", ["fees"], MAPPING)
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert _members() == 0
    done = _submit(admin, url, "import_valid", ["fees"], MAPPING, confirm_partial="y")
    assert "1 member has been imported." in done.get_data(as_text=True)
    assert _members() == 1


def test_existing_members_are_not_duplicated(admin):
    """A person already registered (same email) is skipped, not added twice."""
    service.enrol_member(
        {"first_name": "Līga", "last_name": "Ozoliņa", "email": "LIGA@example.lv"},
        ["bookings"],
        source="staff",
        actor="system",
    )
    db.session.commit()
    url = _upload(admin, _csv(*GOOD))
    text = _submit(admin, url, "check", ["fees"], MAPPING).get_data(as_text=True)
    assert "Already in the registry, not added again: rows 3." in text
    _submit(admin, url, "import", ["fees"], MAPPING)
    assert _members() == 3


def test_xlsx_import_with_access_issues_cards(admin):
    """An XLSX sheet (numbers and dates as cells) imports; club access issues card numbers."""
    data = _xlsx(
        [
            ["First name", "Last name", "Phone", "Notes"],
            ["Kārlis", "Krūmiņš", 29222222, "VIP"],
            ["Zane", "Liepa", None, None],
        ]
    )
    url = _upload(admin, data, "members.xlsx")
    mapping = ["first_name", "last_name", "phone", ""]
    done = _submit(admin, url, "import", ["access"], mapping)
    assert "2 members have been imported." in done.get_data(as_text=True)
    members = db.session.scalars(select(Member)).all()
    numbers = {store.read(m, ["card_number"])["card_number"] for m in members}
    assert len(numbers) == 2 and all(n.startswith("77") and len(n) == 12 for n in numbers)
    karlis = next(m for m in members if store.read(m, ["first_name"])["first_name"] == "Kārlis")
    assert karlis.purpose("access").field_list == ["first_name", "last_name", "card_number"]
    assert not karlis.has_field("phone")  # the access purpose does not use a phone number


def test_mapping_and_options_are_checked(admin):
    """A field chosen twice, no purpose, or soft opt-in without membership: clear messages."""
    url = _upload(admin, _csv(*GOOD))
    twice = ["first_name", "first_name", "email", "", ""]
    text = _submit(admin, url, "check", ["fees"], twice).get_data(as_text=True)
    assert "Each field may be chosen for one column only." in text
    text = _submit(admin, url, "check", [], MAPPING).get_data(as_text=True)
    assert "Choose at least one purpose." in text
    text = _submit(
        admin, url, "check", ["newsletter"], MAPPING, newsletter_basis="legitimate_interest"
    ).get_data(as_text=True)
    assert "on legitimate interest is only for current members of the club" in text
    assert _members() == 0


def test_unreadable_files_are_refused(admin):
    """A file without data rows or a damaged XLSX gives a message, and nothing is stored."""
    url = "/office/members/import"
    for data, name, message in [
        (b"Name;Email\n", "x.csv", "at least one row of data"),
        (b"PK\x03\x04broken", "x.xlsx", "cannot be opened"),
    ]:
        response = admin.post(
            url,
            data={"csrf_token": csrf_token(admin, url), "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(import_files.ImportUpload.id))) == 0


def test_upload_never_touches_the_disk(admin, monkeypatch):
    """Even a file larger than Werkzeug's in-memory limit (500 KB) is not spooled to disk."""

    def no_disk(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, no_disk)
        monkeypatch.setattr(werkzeug.formparser, name, no_disk, raising=False)
    rows = [f"Vārds{i};Uzvārds;person{i}@example.lv;;" for i in range(12000)]
    data = _csv(*rows)
    assert len(data) > 500 * 1024
    location = _upload(admin, data)
    upload = db.session.scalar(select(import_files.ImportUpload))
    assert upload.row_count == 12000 and location.endswith(upload.public_id)


def test_uploads_are_private_and_expire(admin, client_for):
    """Another admin cannot open someone's upload; the retention run deletes old uploads."""
    url = _upload(admin, _csv(*GOOD))
    other = client_for("admin")
    assert other.get(url).status_code == 302
    upload = db.session.scalar(select(import_files.ImportUpload))
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    report = run_retention()
    assert report.tasks["import_uploads"] == 1
    assert db.session.scalar(select(db.func.count(import_files.ImportUpload.id))) == 0


def test_plan_and_run_without_http(app):
    """The domain functions alone: semicolon CSV in Windows-1257, dedup within the file."""
    data = "Vārds;Uzvārds;E-pasts\nJānis;Bērziņš;a@example.lv\nJānis;Bērziņš;A@example.lv\n"
    table = import_files.read_table("x.csv", data.encode("cp1257"))
    assert table.headers == ["Vārds", "Uzvārds", "E-pasts"]
    options = importer.check_options(["fees"], {"fees": "legal_obligation"})
    plan = importer.plan_import(table, importer.guess_mapping(table.headers), options)
    assert [r.number for r in plan.good] == [2]
    assert plan.refused == [(3, "email", plan.refused[0][2])]
    with pytest.raises(importer.ImportRefused):
        importer.run_import(plan, options, actor="system")
    assert importer.run_import(plan, options, actor="system", only_valid=True) == 1
    db.session.commit()
    basis = db.session.scalar(select(MemberPurpose.legal_basis))
    assert basis == "legal_obligation"


def test_a_file_over_the_size_limit_is_refused_on_the_upload_page(admin):
    """Over 5 MB: the upload page says the file is too large; nothing is stored."""
    url = "/office/members/import"
    data = b"x" * (5 * 1024 * 1024 + 10)
    response = admin.post(
        url,
        data={"csrf_token": csrf_token(admin, url), "file": (io.BytesIO(data), "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "The file is too large: at most 5 MB." in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(import_files.ImportUpload.id))) == 0


def _during_planning(monkeypatch, app, action):
    """Run action once, in a session of its own, right after the rows are checked (as another
    request would between the check, which takes no lock, and the write)."""
    plan_import, done = importer.plan_import, []

    def plan_then_act(*args, **kwargs):
        plan = plan_import(*args, **kwargs)
        if not done:
            done.append(True)
            with app.app_context():
                action()
                db.session.commit()
        return plan

    monkeypatch.setattr(importer, "plan_import", plan_then_act)


def test_a_person_registered_during_the_import_is_skipped(app, admin, monkeypatch):
    """The rows are checked before the write; someone registered meanwhile is skipped as already
    a member when the batch is written (not a crash), and the result page counts the row."""
    url = _upload(admin, _csv(*GOOD))
    _during_planning(
        monkeypatch,
        app,
        lambda: service.enrol_member(
            {"first_name": "Līga", "last_name": "Ozoliņa", "email": "liga@example.lv"},
            ["bookings"],
            source="staff",
            actor="system",
        ),
    )
    text = _submit(admin, url, "import", ["fees"], MAPPING).get_data(as_text=True)
    assert "2 members have been imported." in text
    assert "Already in the registry, not added again: rows 3." in text
    skipped = text.split("Skipped: already in the registry</dt>")[1].split("</dd>")[0]
    assert skipped.endswith(">1")
    assert _members() == 3  # the one registered meanwhile and the two others, no duplicate
    liga = service.find_existing({"email": "liga@example.lv"})
    assert {p.purpose for p in liga.purposes} == {"bookings"}  # left as it was
    assert db.session.scalar(select(db.func.count(import_files.ImportUpload.id))) == 0


def test_a_second_click_on_import_imports_nothing(app, admin, monkeypatch):
    """The upload taken by another click while this one checked the rows: nothing is imported."""
    url = _upload(admin, _csv(*GOOD))
    _during_planning(
        monkeypatch, app, lambda: db.session.execute(sa_delete(import_files.ImportUpload))
    )
    response = _submit(admin, url, "import", ["fees"], MAPPING)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/office/members/import"
    )
    assert "This upload has expired" in admin.get("/office/members/import").get_data(as_text=True)
    assert _members() == 0


def test_imported_consent_waits_for_the_person_and_the_mail_confirms_it(app, admin, mailbox):
    """An imported newsletter consent is only "given": the person is asked by mail, no
    newsletter reaches them before, and the mailed link (opened by the person) confirms it.
    Left unconfirmed, it is erased after the week like a sign-up's."""
    url = _upload(admin, _csv(*GOOD))
    done = _submit(admin, url, "import", ["fees", "newsletter"], MAPPING)
    assert "1 person has been asked by mail to confirm" in done.get_data(as_text=True)
    janis = service.find_existing({"email": "janis@example.lv"})
    assert consent.state(janis, "newsletter") == "pending"
    audience = audience_for(False)
    assert janis.id not in {r.member_id for r in audience.recipients}
    (mail,) = mailbox.wait_for(1)
    assert mail["message"]["To"] == "janis@example.lv"
    body = mail["message"].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/apstiprinat/\S+", body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    visitor = app.test_client()
    page = visitor.get("/" + path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    data = {"csrf_token": token.group(1)} if token else {}
    visitor.post("/" + path, data=data)
    db.session.expire_all()
    assert consent.state(janis, "newsletter") == "active"
    assert janis.purpose("newsletter").keep_until is None
    kinds = db.session.scalars(
        select(ConsentEvent.kind)
        .where(ConsentEvent.member_id == janis.id)
        .order_by(ConsentEvent.id)
    ).all()
    assert kinds == ["given", "confirmed"]
    events = db.session.scalars(select(ConsentEvent.actor).where(ConsentEvent.kind == "confirmed"))
    assert list(events) == ["member"]


def test_an_unconfirmed_imported_consent_is_erased_after_the_week(admin):
    """Not confirmed in time: the newsletter purpose ends like an unconfirmed sign-up's."""
    url = _upload(admin, _csv(*GOOD))
    _submit(admin, url, "import", ["newsletter"], MAPPING)
    janis_id = service.find_existing({"email": "janis@example.lv"}).id
    run_retention(now=utcnow() + timedelta(days=8))
    db.session.expire_all()
    assert db.session.get(Member, janis_id) is None
