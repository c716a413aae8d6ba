"""Markdown to safe HTML and plain text; raw message bytes; tokens; header injection."""

import email
import email.policy
import re

import pytest

from clubsite.newsletter import content, tokens
from clubsite.newsletter.message import AddressError, prepare
from clubsite.newsletter.models import Newsletter
from clubsite.newsletter.service import NewsletterError, clean_content


@pytest.mark.parametrize(
    ("source", "present", "absent"),
    [
        ("**bold** and *it*", "<strong>bold</strong> and <em>it</em>", "**"),
        ("<script>alert(1)</script>", "&lt;script&gt;", "<script>"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))", 'href="javascript'),
        ('<img src=x onerror="alert(1)">', "&lt;img", "<img"),
        ("![logo](https://t.example/p.png)", '<a href="https://t.example/p.png"', "<img"),
        ("[site](https://klubs.lv)", 'rel="noopener noreferrer"', "target="),
    ],
)
def test_markdown_becomes_sanitised_html(source, present, absent):
    """Raw HTML is never passed through, scripts and remote images never reach a mail."""
    html = content.to_html(source)
    assert present in html
    assert absent not in html


def test_markdown_becomes_readable_text():
    """Headings, lists, links and emphasis read naturally as plain text."""
    text = content.to_text("# Title\n\nSee **the** [site](https://klubs.lv).\n\n1. one\n2. two")
    assert text == "Title\n=====\n\nSee the site (https://klubs.lv).\n\n1. one\n2. two\n"


def _newsletter(subject="Jaunumi — ziema ā", body="Teksts " * 40):
    return Newsletter(subject_lv=subject, body_lv=body, subject_en="", body_en="")


def test_personalised_message_is_valid_mime_with_unfolded_one_click_header(app):
    """Long Latvian text, a name with diacritics: the bytes parse back exactly."""
    prepared = prepare(_newsletter(), "lv", "consent")
    raw = prepared.personalise("ilze@example.lv", "Ilze Ņ", "AbCdEfGhIjKlMnOp")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Jaunumi — ziema ā"
    text = msg.get_body(("plain",)).get_content()
    # Latvian greets without the name: no vocative from a raw name (tests/test_latvian_text.py).
    assert "Labdien!" in text and "Ilze" not in text and ("Teksts " * 9).strip() in text
    header_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"List-Unsub"))
    token = tokens.make_token("AbCdEfGhIjKlMnOp")
    assert header_line == (
        b"List-Unsubscribe: <http://localhost/u/" + token.encode() + b">, "
        b"<mailto:klubs@localhost?subject=unsubscribe%20" + token.encode() + b">"
    )
    assert all(len(line) <= 76 for line in raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n"))
    html = msg.get_body(("html",)).get_content()
    assert re.search(rf'<a href=\s*"http://localhost/u/{re.escape(token)}"\s*>', html)


def test_greeting_name_is_escaped_in_html(app):
    """A name is text, never markup (in English, whose greeting carries the name)."""
    newsletter = Newsletter(
        subject_lv="Jaunumi", body_lv="Teksts", subject_en="News", body_en="Text"
    )
    prepared = prepare(newsletter, "en", "consent")
    raw = prepared.personalise("a@example.lv", "<b>Eve</b>", "AbCdEfGhIjKlMnOp")
    html = email.message_from_bytes(raw, policy=email.policy.default).get_body(("html",))
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html.get_content()


@pytest.mark.parametrize("address", ["ā@example.lv", "a@example.lv\r\nBcc: x@evil.lv", "<a@b.lv>"])
def test_unusable_addresses_are_refused(app, address):
    """No header injection through the To line."""
    prepared = prepare(_newsletter(), "lv", "consent")
    with pytest.raises(AddressError):
        prepared.personalise(address, None, "AbCdEfGhIjKlMnOp")


def test_subject_with_a_line_break_is_refused():
    """Subjects are validated: a line break could inject headers."""
    with pytest.raises(NewsletterError) as caught:
        clean_content({"subject_lv": "Hi\r\nBcc: x@evil.lv", "body_lv": "Text"})
    assert "subject_lv" in caught.value.errors


def test_tokens_are_short_signed_and_hold_no_address(app):
    """A token names a delivery only, and any change to it is refused."""
    token = tokens.make_token("AbCdEfGhIjKlMnOp")
    assert len(token) <= 50 and "@" not in token
    assert tokens.read_token(token) == "AbCdEfGhIjKlMnOp"
    cut = len(token) - 10  # a character of the signature that carries bits (not base64 padding)
    tampered = token[:cut] + ("A" if token[cut] != "A" else "B") + token[cut + 1 :]
    assert tokens.read_token(tampered) is None
    assert tokens.read_token("AbCdEfGhIjKlMnOq" + token[16:]) is None
    app.config["SECRET_KEY"] = "another club's key"
    assert tokens.read_token(token) is None
