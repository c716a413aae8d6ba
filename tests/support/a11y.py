"""The two checkers of issue 15 for the browser crawl: axe-core (from npm) run in the page, and
the Nu HTML Checker (vnu-jar, from npm, run with Java) over the served markup of many pages at
once, plus the crawl's helpers (which links to follow, one page per route pattern)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
REQUIRED = os.environ.get("CLUBSITE_REQUIRE_BROWSER") == "1"

# Links a crawl must not follow: they end a session, stream a file or are not pages.
SKIP = (
    "/logout",
    "/iziet",
    "/download",
    "/static/",
    ".csv",
    ".pdf",
    "/pdf",
    ".svg",
    "/svg",
    ".json",
    ".xml",
    ".ics",
    ".txt",
    "/export",
)
# Path segments that are values, not routes: ids, numbers, dates, tokens.
VALUE = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d[\d.\-]*|[A-Za-z0-9_\-]{24,})$"
)


def require_tools():
    """Skip where the npm packages or Java are missing (fail with CLUBSITE_REQUIRE_BROWSER=1)."""
    missing = [str(p) for p in (AXE, VNU) if not p.exists()]
    if not shutil.which("java"):
        missing.append("java (apt-get install default-jre-headless)")
    if missing:
        message = "ACCESSIBILITY CRAWL SKIPPED: missing " + ", ".join(missing) + " (make assets)"
        if REQUIRED:
            pytest.fail(message + " and CLUBSITE_REQUIRE_BROWSER=1")
        pytest.skip(message)


# Query parameters that show the same page with other rows or another way back.
SAME_PAGE = {"day", "next", "page", "q"}


def route_key(url):
    """The route a URL shows: values in the path become "*" and the query keeps only the names
    of parameters that may change the page (a chosen slot may show a form; another day or
    page number shows the same page)."""
    parts = urlsplit(url)
    path = "/".join("*" if VALUE.match(s) else s for s in parts.path.split("/"))
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = sorted({name for name, _ in query} - SAME_PAGE)
    return path + ("?" + "&".join(names) if names else "")


def followable(href, base):
    """The same-site page a link leads to (path and query), or None if the crawl skips it."""
    if not href:
        return None
    parts = urlsplit(href)
    if parts.scheme and not href.startswith(base):
        return None
    if not parts.path.startswith("/") or any(s in parts.path.lower() for s in SKIP):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Axe:
    """axe-core in a browser context, started in one page while another loads."""

    # A timer starts the run, so that evaluate returns at once and the run (which is mostly
    # synchronous) goes on in this page's renderer while the test drives another page.
    START = """(tags) => {
      window.__axe = new Promise(done => setTimeout(() => done(axe.run(document, {
        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], noHtml: true})), 0));
    }"""
    RESULT = """async () => (await window.__axe).violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"""

    @staticmethod
    def install(context):
        """Load axe-core into every page of the context.

        An init script goes in through the DevTools protocol, which the page's strict CSP does
        not govern: no inline <script> is added, the policy stays as served, and no
        bypass_csp is needed.
        """
        context.add_init_script(path=str(AXE))

    @classmethod
    def start(cls, page):
        """Start a run in the page as it stands (without waiting for it)."""
        page.evaluate(cls.START, AXE_TAGS)

    @classmethod
    def violations(cls, page):
        """The started run's violations as text: rule, impact, help and the first targets."""
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
            for v in page.evaluate(cls.RESULT)
        ]


def validate(pages, folder):
    """Run the Nu HTML Checker once over the pages ({label: html}); returns (errors, others),
    each a list of "label: line N: message" lines."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for number, (label, html) in enumerate(pages.items()):
        path = folder / f"page{number:03d}.html"
        path.write_text(html, encoding="utf-8")
        names[str(path.resolve())] = label
    done = subprocess.run(
        ["java", "-Xss16m", "-jar", str(VNU), "--format", "json", "--stdout", *names],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise AssertionError(f"vnu.jar failed ({done.returncode}): {done.stderr[-2000:]}")
    errors, others = [], []
    for message in json.loads(done.stdout)["messages"]:
        url = message.get("url", "")  # "file:/tmp/…/page007.html"
        label = names.get(url.removeprefix("file:"), url)
        line = f"{label}: line {message.get('lastLine')}: {message.get('message')}"
        if message.get("type") in ("error", "non-document-error"):
            errors.append(line)
        else:
            others.append(line)
    return errors, others
