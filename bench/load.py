"""Benchmark: the main pages and API lists under load, served by gunicorn on PostgreSQL.

A scratch PostgreSQL database is filled with 10,000 professionals and 5,000 missions (the
generator of bench/matching.py), the app is served by gunicorn (4 workers) on loopback, and a
second process loads each page with concurrent keep-alive clients. Printed per page: p50/p95
latency, requests/s, and the ratio to a hello-world route (``/ping``) on the same gunicorn.
Target: p95 under 150 ms for every main page. The clients start once gunicorn is really ready:
``/healthz`` answers 200 on fresh connections several times in a row.

    .venv/bin/python bench/load.py [--requests 200] [--concurrency 4] [--postgres URL]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import fresh_app, postgres_available, reset_sequences, run_child  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/diaspora_bench_load"
PASSWORD = "bench-password-2026"
PAGES = ["/overview", "/dashboard", "/needs", "/missions", "/facilities", "/professionals",
         "/needs/{need}", "/missions/{mission}", "/facilities/{facility}"]
API = ["/api/v1/needs", "/api/v1/missions", "/api/v1/facilities", "/api/v1/professionals"]


def load_data(url: str) -> dict:
    """Child: migrate and fill the database; create a manager who can sign in."""
    import matching  # bench/matching.py: the bulk generator

    from diaspora.auth.models import User
    from diaspora.auth.services import create_token
    from diaspora.extensions import db
    from diaspora.facilities.models import Facility
    from diaspora.needs.models import Need
    from diaspora.security import hash_password
    from missions.core.models import Mission

    app = fresh_app(url)
    rng = random.Random(7)
    with app.app_context():
        facilities = matching.load_facilities(db.session)
        with db.engine.begin() as connection:
            matching.insert_professionals(connection, rng, 10_000)
            needs = matching.insert_needs(connection, rng, facilities, 1000)
            matching.insert_history(connection, rng, facilities, 10_000, needs, missions_wanted=5000)
            reset_sequences(connection, ["users", "professionals", "needs", "engagements",
                                         "missions"])
        manager = User(email="manager@bench.example", name="Bench Manager", role="admin",  # every programme
                       password_hash=hash_password(PASSWORD), created_at=matching.NOW,
                       timezone="Africa/Accra")
        db.session.add(manager)
        db.session.commit()
        _token, token = create_token(db.session, manager, "bench",
                                     now=datetime.now(UTC))  # the server's clock
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(db.text("VACUUM ANALYZE"))
        return {"token": token,
                "need": db.session.scalar(db.select(Need.id).limit(1)),
                "mission": db.session.scalar(db.select(Mission.id).limit(1)),
                "facility": db.session.scalar(db.select(Facility.id).where(
                    Facility.latitude.is_not(None)).limit(1)),
                "missions": db.session.scalar(db.select(db.func.count(Mission.id)))}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "production",
           "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
           "SESSION_COOKIE_SECURE": "0", "LOGIN_RATE_LIMIT": "1000 per minute",
           "PYTHONWARNINGS": "ignore"}
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "4", "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning",
                               "diaspora:create_app()"], cwd=ROOT, env=env,
                              start_new_session=True)
    if not wait_until_ready(port, timeout=120):
        os.killpg(server.pid, signal.SIGTERM)
        raise RuntimeError("gunicorn did not become ready")
    return server


def wait_until_ready(port: int, *, timeout: float, in_a_row: int = 8) -> bool:
    """Real readiness: ``/healthz`` (which queries the database) answers 200 on ``in_a_row``
    fresh connections in a row — a socket that accepts is not yet a worker that serves, and
    fresh connections spread over the workers as they come up."""
    deadline = time.monotonic() + timeout
    healthy = 0
    while time.monotonic() < deadline and healthy < in_a_row:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            healthy = healthy + 1 if connection.getresponse().status == 200 else 0
        except OSError:
            healthy = 0
        finally:
            connection.close()
        if healthy == 0:
            time.sleep(0.2)
    return healthy >= in_a_row


class Client:
    """A keep-alive HTTP client with a cookie jar (enough for sign-in and CSRF)."""

    def __init__(self, port: int, headers: dict | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())

    def sign_in(self) -> None:
        _status, page, _headers = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _page, _headers = self.request("POST", "/login", urlencode({
            "email": "manager@bench.example", "password": PASSWORD, "csrf_token": token}))
        assert status == 302, status


def hammer(port: int, path: str, requests: int, concurrency: int, token: str | None,
           signed_in: bool) -> dict:
    """Latencies of ``requests`` GETs of ``path`` from ``concurrency`` keep-alive clients."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    clients = [Client(port, headers) for _ in range(concurrency)]
    for client in clients:
        if signed_in:
            client.sign_in()
        for _ in range(3):  # warm up: connections, caches, the first query plans
            status, _body, _headers = client.request("GET", path)
            assert status == 200, (path, status)
    latencies: list[float] = []
    lock = threading.Lock()
    share = requests // concurrency

    def run(client: Client) -> None:
        for _ in range(share):
            started = time.perf_counter()
            status, _body, _headers = client.request("GET", path)
            elapsed = time.perf_counter() - started
            assert status == 200, (path, status)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"p50": statistics.median(latencies), "p95": latencies[int(len(latencies) * 0.95) - 1],
            "rps": len(latencies) / wall}


def measure(port: str, requests: str, concurrency: str, ids_json: str) -> dict:
    """Child: load every page and API list, and the hello-world route."""
    port, requests, concurrency = int(port), int(requests), int(concurrency)
    ids = json.loads(ids_json)
    results = {"/ping": hammer(port, "/ping", requests, concurrency, None, signed_in=False)}
    for template in PAGES:
        path = template.format(**ids)
        results[path] = hammer(port, path, requests, concurrency, None, signed_in=True)
    for path in API:
        results[path] = hammer(port, path, requests, concurrency, ids["token"], signed_in=False)
    return results


def child(kind: str, *args: str) -> None:
    result = load_data(*args) if kind == "load" else measure(*args)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="concurrent keep-alive clients (the README's figures use 4)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    if not postgres_available(args.postgres):
        sys.exit(f"PostgreSQL not reachable at {args.postgres}")
    started = time.perf_counter()
    ids = run_child(__file__, "load", args.postgres)
    print(f"loaded {ids['missions']:,} missions and 10,000 professionals "
          f"in {time.perf_counter() - started:.0f} s")
    port = free_port()
    server = serve(args.postgres, port)
    try:
        results = run_child(__file__, "measure", port, args.requests, args.concurrency,
                            json.dumps(ids))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    hello = results.pop("/ping")
    print(f"gunicorn 4 workers, {args.concurrency} concurrent clients, "
          f"{args.requests} requests per path (loopback, PostgreSQL)")
    print(f"{'path':<28} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7} {'p50 ratio':>10}")
    print(f"{'/ping (hello world)':<28} {hello['p50'] * 1000:>7.1f} {hello['p95'] * 1000:>7.1f} "
          f"{hello['rps']:>7.0f} {1:>10.1f}")
    for path, figures in results.items():
        flag = "" if figures["p95"] < 0.150 else "  > 150 ms"
        print(f"{path:<28} {figures['p50'] * 1000:>7.1f} {figures['p95'] * 1000:>7.1f} "
              f"{figures['rps']:>7.0f} {figures['p50'] / hello['p50']:>10.1f}{flag}")
    print("target: p95 < 150 ms for every main page")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
