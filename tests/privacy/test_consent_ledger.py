"""The consent state is a fold over the ledger; properties that must hold for any sequence."""

from hypothesis import given
from hypothesis import strategies as st

from clubsite.privacy.consent import KINDS, fold_state


def test_examples():
    """The common sequences mean what people expect."""
    assert fold_state([]) == "none"
    assert fold_state(["given"]) == "pending"
    assert fold_state(["given", "confirmed"]) == "active"
    assert (
        fold_state(["confirmed"]) == "none"
    )  # a confirmation without a consent counts for nothing
    assert fold_state(["given", "confirmed", "withdrawn"]) == "withdrawn"
    assert fold_state(["given", "confirmed", "objected", "confirmed"]) == "objected"
    assert fold_state(["given", "withdrawn", "given", "confirmed"]) == "active"


@given(st.lists(st.sampled_from(KINDS), max_size=12))
def test_active_needs_a_given_before_a_confirmation_since_the_last_withdrawal(kinds):
    """Active only if, after the last withdrawal/objection, a consent was given then confirmed."""
    last_stop = max((i for i, k in enumerate(kinds) if k in ("withdrawn", "objected")), default=-1)
    tail = kinds[last_stop + 1 :]
    expected_active = "given" in tail and "confirmed" in tail[tail.index("given") :]
    assert (fold_state(kinds) == "active") == expected_active


@given(st.lists(st.sampled_from(KINDS), max_size=12))
def test_a_withdrawal_always_wins_immediately(kinds):
    """Whatever came before, withdrawing leaves no active consent."""
    assert fold_state([*kinds, "withdrawn"]) == "withdrawn"
