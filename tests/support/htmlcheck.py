"""Checks of a rendered page for the HTML and accessibility faults the Nu HTML Checker and
axe-core found in clubsite (issue 15), with lxml: no Java, no npm, fast enough for every page
as every role. Each check names the element, so a failure says what to fix."""

import lxml.html

LABELABLE = {"input", "select", "textarea", "button", "meter", "output", "progress"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "image", "reset"}


def _describe(element):
    attrs = " ".join(
        f'{k}="{v}"' for k, v in element.attrib.items() if k in ("id", "name", "class", "type")
    )
    return f"<{element.tag} {attrs}>".replace(" >", ">")


def duplicate_ids(doc):
    """Every id used more than once."""
    seen, twice = set(), []
    for element in doc.xpath("//*[@id]"):
        value = element.get("id")
        if value in seen and value not in twice:
            twice.append(value)
        seen.add(value)
    return [f'duplicate id="{value}"' for value in twice]


def street_address_inputs(doc):
    """autocomplete="street-address" is for multi-line controls (textarea), not an input."""
    return [
        f"{_describe(el)} has autocomplete=street-address"
        for el in doc.xpath("//input[@autocomplete]")
        if "street-address" in el.get("autocomplete").split()
    ]


def required_selects_without_placeholder(doc):
    """A required one-line select needs an empty first option directly in it (HTML)."""
    problems = []
    for select in doc.xpath("//select[@required]"):
        if select.get("multiple") is not None or int(select.get("size") or 1) > 1:
            continue
        options = select.xpath(".//option")
        first = options[0] if options else None
        value = None
        if first is not None:
            value = first.get("value") if first.get("value") is not None else first.text_content()
        if first is None or value != "" or first.getparent() is not select:
            problems.append(f"{_describe(select)} is required without an empty first option")
    return problems


def unfocusable_scroll_regions(doc):
    """A table in a scrolling wrapper: the wrapper must take the keyboard focus (axe
    scrollable-region-focusable)."""
    return [
        f"{_describe(wrap)} around a table has no tabindex=0"
        for wrap in doc.xpath("//*[contains(concat(' ', @class, ' '), ' table-wrap ')][.//table]")
        if wrap.get("tabindex") != "0"
    ]


def _labelled_ids(doc):
    return {label.get("for") for label in doc.xpath("//label[@for]")}


def unlabelled_controls(doc):
    """Form controls nothing names: no label, aria-label, aria-labelledby or title."""
    labelled = _labelled_ids(doc)
    problems = []
    for control in doc.xpath("//input | //select | //textarea"):
        if control.tag == "input" and (control.get("type") or "text") in UNLABELLED_INPUTS:
            continue
        if control.get("aria-label") or control.get("aria-labelledby") or control.get("title"):
            continue
        if control.get("id") and control.get("id") in labelled:
            continue
        if control.xpath("ancestor::label"):
            continue
        problems.append(f"{_describe(control)} has no label")
    return problems


def dangling_references(doc):
    """label for=, aria-describedby and aria-labelledby that point at nothing (or, for a
    label, at something that cannot be labelled)."""
    elements = {el.get("id"): el for el in doc.xpath("//*[@id]")}
    problems = []
    for label in doc.xpath("//label[@for]"):
        target = elements.get(label.get("for"))
        if target is None or target.tag not in LABELABLE:
            problems.append(f'<label for="{label.get("for")}"> labels nothing')
    for attr in ("aria-describedby", "aria-labelledby"):
        for element in doc.xpath(f"//*[@{attr}]"):
            for ref in element.get(attr).split():
                if ref not in elements:
                    problems.append(f'{_describe(element)} {attr}="{ref}" points at nothing')
    return problems


CHECKS = (
    duplicate_ids,
    street_address_inputs,
    required_selects_without_placeholder,
    unfocusable_scroll_regions,
    unlabelled_controls,
    dangling_references,
)


def problems(html):
    """Every fault the checks find in a page's HTML."""
    doc = lxml.html.document_fromstring(html)
    return [problem for check in CHECKS for problem in check(doc)]
