"""Policies reviewed on time (issue 15): the privacy notice, the staff data-protection policy and
the cookie page each get a yearly review, recorded with who, when and which version; the admin
home says when each was last reviewed and which are due; a new policy version sends every staff
member back to the training before they see personal data."""

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.privacy import policy, policy_review
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.policy_review import DOCUMENTS, PolicyReview
from tests.public.helpers import english
from tests.support.htmlcheck import problems

# The training's text for each policy version. A change to the text without a new version would
# leave staff trained on words they never read: raise POLICY_VERSION, then pin the new hash.
POLICY_TEXT_SHA256 = {
    "2026.1": "82115eb3a45eef3b5b91b198196d777cc1e7f238449fc67cd6114b9fb9b87643",
}


def _panel(page):
    """The policy-review panel's part of the home page."""
    start = page.index("Policy reviews")
    return page[start : start + 4000]


def _form(page, key):
    """The review form of a document: its action's hidden fields and the CSRF token."""
    digest = re.search(rf'name="{key}-content_hash" type="hidden" value="([0-9a-f]+)"', page)
    token = re.search(rf'name="{key}-csrf_token" type="hidden" value="([^"]+)"', page)
    return digest.group(1), token.group(1)


def test_the_admin_home_lists_each_document_as_due_until_reviewed(client_for):
    """Never reviewed: all three are due, and the panel leads to the review page."""
    admin = client_for("admin")
    english(admin)
    panel = _panel(admin.get("/office/").get_data(as_text=True))
    for title in ("Privacy notice", "Data-protection policy (the staff training)", "Cookie page"):
        assert title in panel
    assert panel.count("Never reviewed.") == 3 and panel.count("Review due") == 3
    assert 'href="/office/policies"' in panel
    assert "version 2026.1" in panel  # the training's version, and what a new one means
    assert "every staff member takes the training again" in panel


def test_a_review_is_recorded_with_who_when_and_the_version(client_for):
    """The POST (with CSRF) stores the document, the reviewer, the time, the text's hash (and the
    policy's version number), the note; it is audited and the home panel shows it."""
    admin = client_for("admin", name="Ilze Vadītāja")
    english(admin)
    page = admin.get("/office/policies").get_data(as_text=True)
    for key in ("privacy_notice", "data_protection_policy"):
        digest, token = _form(page, key)
        response = admin.post(
            f"/office/policies/{key}/review",
            data={f"{key}-csrf_token": token, f"{key}-content_hash": digest, f"{key}-note": "OK"},
        )
        assert response.status_code == 302
    rows = {row.document: row for row in db.session.scalars(select(PolicyReview))}
    assert set(rows) == {"privacy_notice", "data_protection_policy"}
    notice = rows["privacy_notice"]
    assert notice.reviewed_by == admin.staff_user.id and notice.note == "OK"
    assert notice.content_hash == policy_review.content_hash(DOCUMENTS["privacy_notice"])
    assert notice.version is None
    assert rows["data_protection_policy"].version == policy.POLICY_VERSION
    assert abs(notice.reviewed_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)) < timedelta(
        minutes=1
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "policy.reviewed")
    ).all()
    assert [e.actor_id for e in events] == [admin.staff_user.public_id] * 2
    assert "OK" not in " ".join(e.detail for e in events)  # the note is not in the log

    panel = _panel(admin.get("/office/").get_data(as_text=True))
    assert panel.count("by Ilze Vadītāja.") == 2 and panel.count("Review due") == 1
    history = admin.get("/office/policies").get_data(as_text=True)
    assert "Ilze Vadītāja" in history and "<td>OK</td>" in history
    assert problems(history) == []  # three forms on one page, no duplicate ids


def test_a_review_needs_the_csrf_token_and_the_version_seen(client_for):
    """Without the token nothing is stored; a form showing an older text is refused."""
    admin = client_for("admin")
    english(admin)
    page = admin.get("/office/policies").get_data(as_text=True)
    digest, token = _form(page, "cookies")
    missing = admin.post("/office/policies/cookies/review", data={"cookies-content_hash": digest})
    assert missing.status_code in (200, 400)
    stale = admin.post(
        "/office/policies/cookies/review",
        data={"cookies-csrf_token": token, "cookies-content_hash": "0" * 64},
    )
    assert stale.status_code == 200
    assert "The document has changed since you opened this page" in stale.get_data(as_text=True)
    assert (
        admin.post(
            "/office/policies/nonsense/review", data={"nonsense-csrf_token": token}
        ).status_code
        == 404
    )
    assert db.session.scalars(select(PolicyReview)).all() == []


def test_only_the_admin_reviews(client_for):
    """Other roles neither see the page nor may post to it."""
    for role in ("reception", "accountant", "marketing", "staff"):
        client = client_for(role)
        assert client.get("/office/policies").status_code == 403
        assert "Policy reviews" not in client.get("/office/").get_data(as_text=True)


def test_a_review_is_due_a_year_later_and_a_changed_text_shows(make_staff):
    """300 days after a review: not due, next one a year after it; 366 days: due. A review of an
    older text is marked as changed."""
    admin = make_staff("admin")
    now = utcnow()
    policy_review.record_review(
        "cookies", admin, actor=Actor.staff(admin), now=now - timedelta(days=300)
    )
    policy_review.record_review(
        "privacy_notice", admin, actor=Actor.staff(admin), now=now - timedelta(days=366)
    )
    older = PolicyReview(
        document="data_protection_policy",
        version="2025.1",
        content_hash="0" * 64,
        reviewed_at=now - timedelta(days=10),
        reviewed_by=admin.id,
    )
    db.session.add(older)
    db.session.commit()
    status = {s.document.key: s for s in policy_review.review_status(now=now)}
    assert not status["cookies"].due and not status["cookies"].changed
    assert status["cookies"].due_on.date() == (now + timedelta(days=65)).date()
    assert status["privacy_notice"].due
    assert status["data_protection_policy"].changed and not status["data_protection_policy"].due


def test_a_new_policy_version_sends_staff_back_to_the_training(client_for, app):
    """Trained on an earlier version: personal data waits for the training again, the admin's
    panel counts them, and passing the current version's training opens the data again."""
    reception = client_for("reception")
    user = reception.staff_user
    assert reception.get("/office/members").status_code == 200
    user.policy_version = "2025.1"  # acknowledged before the current version came out
    db.session.commit()
    blocked = reception.get("/office/members")
    assert blocked.status_code == 302 and "/office/policy" in blocked.headers["Location"]

    admin = client_for("admin")
    english(admin)
    assert "1 staff member must still take the training." in _panel(
        admin.get("/office/").get_data(as_text=True)
    )
    policy.mark_trained(user)
    db.session.commit()
    assert reception.get("/office/members").status_code == 200
    assert "Every active staff member has taken the training of this version." in _panel(
        admin.get("/office/").get_data(as_text=True)
    )


def test_the_training_text_changes_only_with_a_new_version(app):
    """The pinned hash of the training's text belongs to the current version number."""
    with app.test_request_context("/"):
        text = policy_review.policy_text()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert POLICY_TEXT_SHA256.get(policy.POLICY_VERSION) == digest, (
        "The training's text changed: raise POLICY_VERSION (every staff member re-takes the "
        f"training) and pin {digest} for it here."
    )
