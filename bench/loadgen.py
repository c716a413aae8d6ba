"""A small HTTP load generator, run as its own process: N threads, keep-alive, for D seconds.

    python bench/loadgen.py --base http://127.0.0.1:8765 --scenario healthz --connections 8
    python bench/loadgen.py ... --scenario search --values values.json --kind email --login

Scenarios: healthz (GET /healthz), page (GET --path), search (POST /office/members with q),
signup (POST /pieteikties, a new newsletter sign-up each time). Prints one JSON line: request
count, errors, status codes, requests per second and latency median/p95/p99 in milliseconds.
"""

import argparse
import http.client
import itertools
import json
import random
import re
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


def make_job(args, client):
    """The request one iteration sends, as a function returning the status."""
    if args.scenario == "healthz":
        return lambda: client.request("GET", "/healthz")[0]
    if args.scenario == "page":
        return lambda: client.request("GET", args.path)[0]
    if args.scenario == "search":
        values = json.load(open(args.values))[args.kind]  # noqa: SIM115
        random.Random(id(client)).shuffle(values)
        cycle = itertools.cycle(values)
        token = TOKEN_RE.search(client.request("GET", "/office/members")[1]).group(1)

        def search():
            return client.request(
                "POST", "/office/members", {"csrf_token": token, "q": next(cycle)}
            )

        return lambda: search()[0]
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

        return lambda: signup()[0]
    raise SystemExit(f"unknown scenario {args.scenario}")


def worker(args, cookies, deadline, results, lock):
    """Send requests until the deadline; record latency and status of each."""
    client = Client(args.base, cookies)
    job = make_job(args, client)
    latencies, statuses = [], {}
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status = job()
        except OSError:
            status = "error"
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    with lock:
        results.append((latencies, statuses))


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
    args = parser.parse_args()
    cookies = login(args.base, args.email, args.password) if args.login else {}
    results, lock = [], threading.Lock()
    deadline = time.perf_counter() + args.seconds
    threads = [
        threading.Thread(target=worker, args=(args, cookies, deadline, results, lock))
        for _ in range(args.connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for lat, _ in results for x in lat)
    statuses = {}
    for _, counts in results:
        for status, count in counts.items():
            statuses[str(status)] = statuses.get(str(status), 0) + count

    def pick(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

    print(
        json.dumps(
            {
                "label": args.label or args.scenario,
                "requests": len(latencies),
                "rps": round(len(latencies) / elapsed, 1),
                "statuses": statuses,
                "median_ms": round(statistics.median(latencies), 2) if latencies else None,
                "p95_ms": pick(0.95) if latencies else None,
                "p99_ms": pick(0.99) if latencies else None,
            }
        )
    )


if __name__ == "__main__":
    main()
