"""A small HTTP load generator, run as its own process: N threads, keep-alive, for D seconds.

    python bench/loadgen.py --base http://127.0.0.1:8765 --scenario healthz --connections 8
    python bench/loadgen.py ... --scenario search --values values.json --kind email --login

Scenarios: healthz (GET /healthz), page (GET --path), search (POST /office/members with q),
signup (POST /pieteikties, a new newsletter sign-up each time), office (the back office as staff
use it: the member list's first page, and searches by email, name prefix, phone and card
number, in turn; --values as for search, --path adds a deeper list page to the turn).
Prints one JSON line: request count, errors (answers whose status is not --ok, or no answer at
all), status codes, requests per second and latency median/p95/p99 in milliseconds, and for
office the same per kind of request.

It stops by itself after --seconds; SIGTERM stops it early (the summary is still printed), which
is how bench/mixed.py ends the load when the newsletter sender is done. With --announce it
prints the line "loading" once every connection has started.
"""

import argparse
import http.client
import itertools
import json
import random
import re
import signal
import statistics
import threading
import time
import urllib.parse
import uuid

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HASH_RE = re.compile(r'name="consent_newsletter_hash" type="hidden" value="([0-9a-f]{64})"')


class Client:
    """One keep-alive connection with its own cookies."""

    def __init__(self, base, cookies=None):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies = dict(cookies or {})
        self.conn = None

    def request(self, method, path, form=None):
        """Send one request; returns (status, body text)."""
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, data


def login(base, email, password):
    """Log a staff member in; returns the session cookies."""
    client = Client(base)
    _status, page = client.request("GET", "/office/login")
    token = TOKEN_RE.search(page).group(1)
    status, _ = client.request(
        "POST", "/office/login", {"email": email, "password": password, "csrf_token": token}
    )
    if status != 302:
        raise SystemExit(f"login failed with status {status}")
    return client.cookies


OK_STATUSES = {"signup": "302"}  # the others: 200
OFFICE_TURN = ("list", "search email", "list", "search name", "list", "search phone", "list",
               "search card_number")  # fmt: skip


def _searcher(args, client, kinds):
    """A function (kind) -> status posting the search form with the next value of that kind."""
    with open(args.values) as handle:
        values = json.load(handle)
    rnd = random.Random(id(client))
    cycles = {}
    for kind in kinds:
        mine = list(values[kind])
        if not mine:
            raise SystemExit(f"no search values of kind {kind}")
        rnd.shuffle(mine)
        cycles[kind] = itertools.cycle(mine)
    page = client.request("GET", "/office/members")[1]
    found = TOKEN_RE.search(page)
    if found is None:
        raise SystemExit("no search form on /office/members (not logged in?)")
    token = found.group(1)

    def search(kind):
        form = {"csrf_token": token, "q": next(cycles[kind])}
        return client.request("POST", "/office/members", form)[0]

    return search


def make_job(args, client, number=0):
    """The request one iteration sends, as a function returning (kind of request, status)."""
    if args.scenario == "healthz":
        return lambda: ("healthz", client.request("GET", "/healthz")[0])
    if args.scenario == "page":
        return lambda: ("page", client.request("GET", args.path)[0])
    if args.scenario == "search":
        search = _searcher(args, client, [args.kind])
        return lambda: ("search", search(args.kind))
    if args.scenario == "office":
        turn = list(OFFICE_TURN)
        if args.path != "/healthz":
            turn[4] = "list deep"
        search = _searcher(args, client, [t.split()[1] for t in turn if t.startswith("search")])
        steps = itertools.islice(itertools.cycle(turn), number, None)  # connections interleave

        def office():
            step = next(steps)
            if step == "list":
                return step, client.request("GET", "/office/members")[0]
            if step == "list deep":
                return step, client.request("GET", args.path)[0]
            return step, search(step.split()[1])

        return office
    if args.scenario == "signup":
        page = client.request("GET", "/pieteikties")[1]
        form = {
            "csrf_token": TOKEN_RE.search(page).group(1),
            "consent_newsletter_hash": HASH_RE.search(page).group(1),
            "choices": ["newsletter"],
            "step": "submit",
            "website": "",
            "consent_newsletter": "y",
        }

        def signup():
            email = f"b{uuid.uuid4().hex[:12]}@example.lv"
            return client.request("POST", "/pieteikties", {**form, "email": email})

        return lambda: ("signup", signup()[0])
    raise SystemExit(f"unknown scenario {args.scenario}")


def worker(args, cookies, deadline, stop, results, lock, number, started_event):
    """Send requests until the deadline (or stop); record kind, latency and status of each."""
    records = []
    try:
        client = Client(args.base, cookies)
        job = make_job(args, client, number)
    except BaseException as exc:  # noqa: BLE001  (a setup failure is reported, not a hang)
        with lock:
            results.append(([], repr(exc)))
        started_event.set()
        return
    started_event.set()
    while time.perf_counter() < deadline and not stop.is_set():
        started, at = time.perf_counter(), time.monotonic()
        try:
            kind, status = job()
        except OSError:
            kind, status = "?", "error"
        records.append((kind, (time.perf_counter() - started) * 1000, status, at))
    with lock:
        results.append((records, None))


def summary(records, ok, elapsed):
    """Counts, rate and latency of a list of (kind, ms, status, start)."""
    latencies = sorted(r[1] for r in records)
    statuses = {}
    for _kind, _ms, status, *_start in records:
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    def pick(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

    return {
        "requests": len(latencies),
        "errors": sum(n for status, n in statuses.items() if status not in ok),
        "rps": round(len(latencies) / elapsed, 1),
        "statuses": statuses,
        "median_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p95_ms": pick(0.95) if latencies else None,
        "p99_ms": pick(0.99) if latencies else None,
    }


def main():
    """Parse the options, run the threads, print the summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--scenario", default="healthz")
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--values")
    parser.add_argument("--kind")
    parser.add_argument("--login", action="store_true")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--label", default="")
    parser.add_argument("--ok", help="statuses that count as success (default 200; signup 302)")
    parser.add_argument("--announce", action="store_true", help='print "loading" once started')
    parser.add_argument("--records", help="also write every request as JSON [kind, ms, status, "
                        "start (time.monotonic())] to this file")  # fmt: skip
    args = parser.parse_args()
    ok = set((args.ok or OK_STATUSES.get(args.scenario, "200")).split(","))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    cookies = login(args.base, args.email, args.password) if args.login else {}
    results, lock = [], threading.Lock()
    deadline = time.perf_counter() + args.seconds
    ready = [threading.Event() for _ in range(args.connections)]
    threads = [
        threading.Thread(
            target=worker, args=(args, cookies, deadline, stop, results, lock, n, ready[n])
        )
        for n in range(args.connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for event in ready:
        event.wait(60)
    if args.announce:
        print("loading", flush=True)
    for thread in threads:
        while thread.is_alive():  # a timed join lets the SIGTERM handler run
            thread.join(0.2)
    elapsed = time.perf_counter() - started
    failed = [error for _records, error in results if error]
    if failed:
        raise SystemExit(f"a connection could not start: {failed[0]}")
    records = [r for mine, _error in results for r in mine]
    out = {"label": args.label or args.scenario, "connections": args.connections,
           "seconds": round(elapsed, 2), **summary(records, ok, elapsed)}  # fmt: skip
    if args.scenario == "office":
        kinds = sorted({r[0] for r in records})
        out["by_kind"] = {
            kind: summary([r for r in records if r[0] == kind], ok, elapsed) for kind in kinds
        }
    if args.records:
        with open(args.records, "w") as handle:
            json.dump(records, handle)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
