"""`flask privacy retention`: the dry run speaks of what would happen, the real run of what did
(issue 15: the dry run's summary said "erased")."""

from datetime import timedelta

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.models import Member
from tests.privacy.factories import enrol


def _expired_signup():
    """A newsletter sign-up never confirmed, a week and a day ago: retention erases the person."""
    member = enrol({"email": "maybe@example.lv"}, ["newsletter"], confirmed=False)
    enrolment = member.purpose("newsletter")
    enrolment.keep_until = utcnow() - timedelta(days=1)
    db.session.commit()
    return member


def test_the_dry_run_says_would_erase_and_erases_nothing(runner):
    """Every line of the dry run is in the conditional; the member is still there."""
    member = _expired_signup()
    result = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "would end 1 purposes, would erase 1 members"
    assert f"{member.public_id}: purpose newsletter would end, would erase email" in lines
    assert f"{member.public_id}: member would be erased" in lines
    for line in lines:
        assert " erased " not in f" {line} ".replace("would be erased", "")
        assert "erasing" not in line and not line.startswith("ended")
    db.session.expire_all()
    assert db.session.get(Member, member.id) is not None


def test_the_real_run_says_erased(runner):
    """Without --dry-run the summary is in the past tense and the member is gone."""
    member = _expired_signup()
    member_id = member.id
    result = runner.invoke(args=["privacy", "retention"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "ended 1 purposes, erased 1 members"
    assert "would" not in result.output
    db.session.expire_all()
    assert db.session.get(Member, member_id) is None
