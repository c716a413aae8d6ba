"""Newsletter bodies: Markdown to sanitised HTML (markdown-it-py, raw HTML off, then nh3) and
to plain text. Images become links: a remote image in a mail tells its host who opened it.
Subjects: usable in a mail header only when neither they nor their RFC 2047-decoded form hold a
line break or another control character."""

import textwrap

import nh3
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from markupsafe import Markup, escape

from clubsite.mail import header_safe

WIDTH = 72
ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "a", "ul", "ol", "li",
    "blockquote", "code", "pre", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


MSG_UNSAFE_SUBJECT = _l(
    "A subject must not contain a line break or another control character, not even one "
    "written as an encoded word such as =?UTF-8?Q?=0A?=."
)


def subject_is_safe(subject):
    """True if the subject can go into a Subject header as it is (see clubsite.mail)."""
    try:
        header_safe(subject or "")
    except ValueError:
        return False
    return True


def _parser():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

    def image_as_link(renderer, tokens, idx, options, env):
        token = tokens[idx]
        alt = token.content or token.attrGet("src")
        return f'<a href="{escape(token.attrGet("src"))}">{escape(alt)}</a>'

    md.add_render_rule("image", image_as_link)
    return md


MD = _parser()


def to_html(source):
    """Sanitised HTML for a Markdown body (safe to insert into a page or a mail)."""
    html = MD.render(source or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704  (nh3 has just sanitised it)


def to_text(source):
    """A plain-text rendering of a Markdown body, wrapped at 72 characters."""
    tree = SyntaxTreeNode(MD.parse(source or ""))
    blocks = _blocks(tree.children)
    return "\n\n".join(b for b in blocks if b).strip() + "\n"


def _blocks(nodes, indent=""):
    """Render block nodes to a list of text blocks."""
    out = []
    for node in nodes:
        out.append(_block(node, indent))
    return out


def _block(node, indent):
    kind = node.type
    if kind == "paragraph":
        return _wrap(_inline(node.children[0]), indent)
    if kind == "heading":
        title = _inline(node.children[0])
        rule = ("=" if node.tag in ("h1", "h2") else "-") * min(len(title), WIDTH)
        return f"{indent}{title}\n{indent}{rule}"
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, indent)
    if kind == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"{indent}> {line}".rstrip() for line in inner.splitlines())
    if kind in ("fence", "code_block"):
        return "\n".join(f"{indent}    {line}" for line in node.content.rstrip("\n").splitlines())
    if kind == "hr":
        return f"{indent}{'-' * 20}"
    return ""


def _list(node, indent):
    lines = []
    start = int(node.attrs.get("start", 1)) if node.type == "ordered_list" else 1
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}. " if node.type == "ordered_list" else "- "
        inner = "\n".join(_blocks(item.children, indent + " " * len(marker)))
        inner = inner[len(indent) + len(marker) :] if inner.startswith(" ") else inner.lstrip()
        lines.append(f"{indent}{marker}{inner}")
    return "\n".join(lines)


def _inline(node):
    parts = []
    for child in node.children or ():
        parts.append(_inline_piece(child))
    return "".join(parts)


def _inline_piece(node):
    kind = node.type
    if kind == "text":
        return node.content
    if kind == "softbreak":
        return " "
    if kind == "hardbreak":
        return "\n"
    if kind == "code_inline":
        return node.content
    if kind == "image":
        src = node.attrs.get("src", "")
        return f"{node.content} ({src})" if node.content else src
    if kind == "link":
        label = _inline(node)
        href = node.attrs.get("href", "")
        return label if label == href or href.startswith("mailto:") else f"{label} ({href})"
    return _inline(node) if node.children else node.content


def _wrap(text, indent):
    lines = []
    for line in text.split("\n"):
        wrapped = textwrap.wrap(
            line,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines.extend(wrapped or [indent])
    return "\n".join(lines)
