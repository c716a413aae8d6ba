"""Fee tests read domain messages in English."""

import pytest


@pytest.fixture(autouse=True)
def _english(domain_messages_in_english):
    """Every test here: service messages in English."""
