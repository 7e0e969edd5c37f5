"""The load benchmark of the web pages (PERFORMANCE.md). Not a test.

    .venv/bin/python bench/run.py --db sqlite|postgresql [--scale 1|10] [--quick] [--x10] --json OUT.json

1. Generates the Tetouan-scale campaign (bench/dataset.py) in a throwaway database: a SQLite file,
   or a PostgreSQL cluster started for the run on a free loopback port (initdb/pg_ctl of Debian's
   PostgreSQL; as the postgres user when run as root) and deleted at the end.
2. Serves the app with gunicorn in its production configuration: deploy/gunicorn.conf.py (2 × cores
   sync workers), TASHARUK_ENV=production, SECRET_KEY from the environment — a random one per run —,
   on 127.0.0.1 and a free port. Two changes, stated in the output: the app is created with
   RATELIMIT_ENABLED=False, or the load of a few clients would be throttled as an attack; and
   workers are not recycled (--max-requests 0), so the RSS measured after the load is that of
   workers that served all of it.
3. Loads it with Debian's wrk from a separate process, bounded in time, 8 connections, never any
   other address. Each scenario runs alternately with the bare endpoint (/bare: a constant answer
   through the same stack) — bare, page, bare, page… — and medians are reported, so the ratio to
   bare is measured on the same server in the same minute, whatever else the machine is doing.
   Scenarios: idea_list, idea_search, idea_page, support (htmx support/withdraw by distinct
   signed-in residents: sessions and CSRF tokens prepared beforehand, bench/wrk_support.lua),
   ranking (the published ranking), programme (the public programme).
4. Also measures, outside the load: SQL statements per request (a SQLAlchemy event listener,
   test client on the same database) at this size and, with --x10 or --scale 10, on a data set
   ten times larger; the bytes a first visit of the Arabic idea list costs (HTML, CSS, JS and the
   fonts the page pulls, gzip-compressed as a reverse proxy would when the app does not compress
   itself); the bytes of one htmx support answer; the gunicorn workers' RSS after the load; and
   supports lost or duplicated (the successful answers against the rows and counters after).

--scale 10 loads the ×10 campaign; its statements are then compared with a ×1 data set generated
too. --quick: a small campaign and short runs (under two minutes on 2 cores) for development.
Writes the JSON of the issue (--json) and prints a table.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

SCENARIOS = ("idea_list", "idea_search", "idea_page", "support", "ranking", "programme")
CONNECTIONS = 8
USER_AGENT = "tasharuk-bench"
APP_OVERRIDES = {"RATELIMIT_ENABLED": False}  # + PUBLIC_CACHE_SECONDS from --page-cache, for gunicorn
# The production gunicorn configuration (README "Production deployment"), and what the benchmark
# changes in it besides the port and the worker count: no recycling of workers (see the docstring).
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
GUNICORN_OVERRIDES = ["--max-requests", "0"]
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1)  # deploy/gunicorn.conf.py's `workers` (tests/test_deploy.py)
TARGETS = {  # PERFORMANCE.md
    "idea_list": 0.25, "idea_search": 0.15, "idea_page": 0.20, "support": 0.15,
}
P95_TARGET_MS = {"support": 80.0}  # pages: 50 ms


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- databases ------------------------------------------------------------------------------------

class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (trust authentication, default durability)."""

    def __init__(self, work: Path):
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        preferred = Path("/usr/lib/postgresql/15/bin")
        self.bindir = preferred if (preferred / "initdb").exists() else (bindirs[-1] if bindirs else None)
        if self.bindir is None or not (self.bindir / "initdb").exists():
            raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql "
                             "(Debian: apt-get install postgresql)")
        self.root = work / "pg"
        self.root.mkdir()
        self.data = self.root / "data"
        self.port = free_port()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(work, "postgres")
            shutil.chown(self.root, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def start(self) -> None:
        subprocess.run([*self.as_owner, str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-locale"], check=True, stdout=subprocess.DEVNULL)
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
                   "-c max_connections=100")
        subprocess.run([*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.root / "server.log"), "-w", "-t", "60", "-o", options, "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def create(self, name: str) -> str:
        subprocess.run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        name], check=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def size_mb(self, name: str) -> float:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={name}") as conn:
            return conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0] / 1e6

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                            "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def make_app(url: str):
    """The production app on `url` (same SECRET_KEY as the gunicorn workers: cookies it signs are valid there)."""
    from app import create_app
    from config import ProductionConfig

    # Statements and bytes are counted on rendered pages: the public page cache off here.
    return create_app(ProductionConfig, {**APP_OVERRIDES, "PUBLIC_CACHE_SECONDS": 0, "SQLALCHEMY_DATABASE_URI": url})


def build_dataset(url: str, scale: int, quick: bool):
    """Create the schema and the campaign in the (empty) database at `url`."""
    import dataset
    from extensions import db

    app = make_app(url)
    with app.app_context():
        # The schema of the models (the benchmark does not depend on the migrations being current).
        db.create_all()
        generated = dataset.generate(scale=scale, quick=quick, log=log)
        problems = dataset.counters_consistent()
        if problems:
            raise SystemExit("the generated data set is inconsistent: " + "; ".join(problems[:5]))
        db.session.remove()
        db.engine.dispose()
    return generated


# --- what the scenarios request ---------------------------------------------------------------------

def scenario_paths(generated) -> dict[str, str]:
    slug = generated.commune_slug
    search = urllib.parse.urlencode({"q": generated.search["q"], "axis": generated.search["axis"],
                                     "neighbourhood": generated.search["neighbourhood"]})
    return {
        "idea_list": f"/{slug}/ideas",
        "idea_search": f"/{slug}/ideas?{search}",
        "idea_page": f"/{slug}/ideas/{generated.idea_page_id}",
        "ranking": f"/{slug}/ranking/{generated.round_id}",
        "programme": f"/{slug}/programme",
    }


def prepare_pairs(app, generated, count: int, threads: int) -> list[dict]:
    """`count` distinct residents, each with a public idea they do not support (and a support left),
    signed in beforehand: a server-side session (services.accounts.open_session, as the login view
    does after the password check) and the CSRF token of that session, in the cookie the app signs."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import func, select

    from extensions import db
    from models import PUBLIC_STATUSES, Idea, Membership, Support, User
    from services import accounts

    pairs = []
    with app.app_context():
        plan_limit = dataset_limit()
        used = dict(db.session.execute(select(Support.user_id, func.count()).group_by(Support.user_id)).all())
        residents = [u for u in db.session.scalars(
            select(Membership.user_id).where(Membership.commune_id == generated.commune_id,
                                             Membership.role == "resident").order_by(Membership.user_id))
                     if used.get(u, 0) < plan_limit]
        ideas = list(db.session.scalars(
            select(Idea.id).where(Idea.plan_id == generated.plan_id, Idea.hidden.is_(False),
                                  Idea.status.in_(PUBLIC_STATUSES)).order_by(Idea.id)))
        step = max(1, len(residents) // count)
        chosen_users = residents[::step][:count]
        supported = set(db.session.execute(
            select(Support.user_id, Support.idea_id).where(Support.user_id.in_(chosen_users))).all())
        chosen = [(user_id, next(i for i in ideas[n % len(ideas):] + ideas if (user_id, i) not in supported))
                  for n, user_id in enumerate(chosen_users)]
        # The server-side sessions, in one transaction (as the login view opens one after the password check).
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(chosen_users)))}
        tokens = [accounts.open_session(users[user_id]) for user_id, _idea in chosen]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    for n, ((user_id, idea_id), token) in enumerate(zip(chosen, tokens)):
        # A fresh app context each time: g caches the CSRF token and the signed-in person.
        with app.app_context(), app.test_request_context("/", headers={"User-Agent": USER_AGENT},
                                                         environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            session["sid"] = token
            login_user(_SignedIn(user_id), force=True)  # what login_user stores: the id (no DB)
            csrf = generate_csrf()
            response = app.response_class()
            app.session_interface.save_session(app, session, response)
            cookie = next(c.split(";", 1)[0] for c in response.headers.getlist("Set-Cookie")
                          if c.startswith(app.config["SESSION_COOKIE_NAME"] + "="))
        pairs.append({"thread": n % threads + 1, "user_id": user_id, "idea_id": idea_id, "cookie": cookie,
                      "csrf": csrf, "support": f"/{generated.commune_slug}/ideas/{idea_id}/support",
                      "withdraw": f"/{generated.commune_slug}/ideas/{idea_id}/withdraw"})
    return pairs


class _SignedIn:
    def __init__(self, user_id: int):
        self.user_id = user_id

    def get_id(self) -> str:
        return str(self.user_id)


def dataset_limit() -> int:
    import dataset

    return dataset.SUPPORT_LIMIT


def pair_states(app, pairs: list[dict]) -> list[int]:
    """1 where the pair's resident supports the pair's idea now, from the database."""
    from sqlalchemy import select

    from extensions import db
    from models import Support

    with app.app_context():
        rows = set(db.session.execute(select(Support.user_id, Support.idea_id).where(
            Support.user_id.in_([p["user_id"] for p in pairs]))).all())
        db.session.remove()
    return [int((p["user_id"], p["idea_id"]) in rows) for p in pairs]


# --- SQL statements per request ----------------------------------------------------------------------

@contextmanager
def counting(engine):
    from sqlalchemy import event

    count = [0]

    def before(*_args, **_kwargs):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def count_statements(url: str, generated, pair: dict | None) -> dict[str, int]:
    """Statements of one request of each scenario (after one warm-up request), not under load."""
    from extensions import db

    app = make_app(url)
    client = app.test_client(use_cookies=False)  # each request carries exactly the cookies given
    headers = {"Accept-Language": "ar", "User-Agent": USER_AGENT}
    result = {}
    with app.app_context():
        engine = db.engine
    for name, path in scenario_paths(generated).items():
        client.get(path, headers=headers)
        with counting(engine) as count:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"statements: {path} answered {response.status_code}")
        result[name] = count[0]
    if pair is not None:
        # The test client speaks https (PREFERRED_URL_SCHEME), where Flask-WTF also checks the Referer.
        cookie = {"Cookie": pair["cookie"], "HX-Request": "true", "Referer": "https://localhost/", **headers}
        body = {"csrf_token": pair["csrf"]}
        state = pair_states(app, [pair])[0]
        first, second = (pair["withdraw"], pair["support"]) if state else (pair["support"], pair["withdraw"])
        client.post(first, headers=cookie, data=body)  # warm-up, then one measured, leaving the state as found
        with counting(engine) as count:
            response = client.post(second, headers=cookie, data=body)
        if response.status_code != 200:
            raise SystemExit(f"statements: support POST answered {response.status_code}")
        result["support"] = count[0]
    with app.app_context():
        db.engine.dispose()
    return {name: result.get(name) for name in SCENARIOS}


# --- gunicorn and wrk ----------------------------------------------------------------------------------

class Server:
    def __init__(self, url: str, secret: str, workers: int, work: Path, page_cache: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TASHARUK_ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": url,
               "PYTHONPATH": str(ROOT)}
        env.pop("REDIS_URL", None)  # one server: rate-limit storage is irrelevant (limits are off)
        self.log = open(work / "gunicorn.log", "wb")
        factory = f"app:create_app({ {**APP_OVERRIDES, 'PUBLIC_CACHE_SECONDS': page_cache}!r})"
        self.command = [str(Path(sys.executable).parent / "gunicorn"), "--config", str(GUNICORN_CONFIG),
                        "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", *GUNICORN_OVERRIDES,
                        factory]
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _headers, _body = http_get(self.base, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}); see {work / 'gunicorn.log'}")
            time.sleep(0.3)
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def workers(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def rss_mb(self) -> list[float]:
        values = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    values.append(int(line.split()[1]) / 1024)
        return values

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def http_get(base: str, path: str, headers: dict | None = None):
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, response, body
    finally:
        conn.close()


def wrk(base: str, path: str, seconds: float, work: Path, *, script: Path, env: dict | None = None,
        threads: int = 2) -> dict:
    """One bounded wrk run against 127.0.0.1; returns what the script's done() wrote."""
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError("the benchmark only loads 127.0.0.1")
    out = work / "wrk-out.json"
    out.unlink(missing_ok=True)
    command = [shutil.which("wrk") or "/usr/bin/wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(script), base + path]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=seconds + 60,
                   env={**os.environ, "BENCH_OUT": str(out), **(env or {})})
    return json.loads(out.read_text())


# --- bytes on the wire ---------------------------------------------------------------------------------

def _header_bytes(response) -> int:
    lines = [f"HTTP/1.1 {response.status} {response.reason}"] + [f"{k}: {v}" for k, v in response.getheaders()]
    return len("\r\n".join(lines).encode()) + 4


def _wire(response, body: bytes) -> tuple[int, bool]:
    """Bytes of one answer on the wire: its headers plus its body, gzip-compressed (level 6, as nginx
    is usually set) when the server did not compress it and it is text; woff2 is compressed already."""
    if response.getheader("Content-Encoding"):
        return _header_bytes(response) + len(body), False
    kind = response.getheader("Content-Type", "")
    if kind.startswith(("text/", "application/javascript", "application/json", "image/svg")):
        return _header_bytes(response) + len(gzip.compress(body, 6)) + len("Content-Encoding: gzip\r\n"), True
    return _header_bytes(response) + len(body), False


def _unicode_ranges(block: str) -> list[tuple[int, int]]:
    found = re.search(r"unicode-range:\s*([^;]+);", block)
    if not found:
        return [(0, 0x10FFFF)]
    ranges = []
    for part in found.group(1).split(","):
        part = part.strip().upper().removeprefix("U+")
        low, _, high = part.partition("-")
        ranges.append((int(low.replace("?", "0"), 16), int((high or low).replace("?", "F"), 16)))
    return ranges


def first_visit(base: str, path: str) -> dict:
    """An Arabic visitor's first visit of `path`: the HTML, the stylesheets and scripts it links and the
    fonts its text needs (the @font-face whose unicode-range covers a character of the page)."""
    headers = {"Accept-Language": "ar", "Accept-Encoding": "gzip, br", "User-Agent": USER_AGENT}
    status, response, html = http_get(base, path, headers)
    if status != 200:
        raise SystemExit(f"first visit: {path} answered {status}")
    parts = {"html": _wire(response, html)}
    text = html.decode()
    assets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
    assets += re.findall(r'<script[^>]+src="([^"]+)"', text)
    page_chars = {ord(ch) for ch in re.sub(r"<[^>]+>", " ", text)}
    compressed_by_proxy = parts["html"][1]
    for asset in assets:
        status, response, body = http_get(base, asset, headers)
        parts[asset] = _wire(response, body)
        compressed_by_proxy |= parts[asset][1]
        if asset.endswith(".css"):
            for block in re.findall(r"@font-face\s*{([^}]*)}", body.decode()):
                ranges = _unicode_ranges(block)
                if not any(low <= ch <= high for ch in page_chars for low, high in ranges):
                    continue
                for font in re.findall(r'url\("?([^")]+)"?\)', block):
                    font_path = urllib.parse.urljoin(asset, font)
                    status, response, font_body = http_get(base, font_path, headers)
                    parts[font_path] = _wire(response, font_body)
    return {"total": sum(size for size, _ in parts.values()), "parts": {k: v[0] for k, v in parts.items()},
            "gzip_by_proxy": compressed_by_proxy}


def support_interaction(base: str, pair: dict, state: int) -> tuple[int, int, bool]:
    """(bytes on the wire, raw body bytes, compressed by proxy?) of one htmx support (or withdraw) answer."""
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request("POST", pair["withdraw"] if state else pair["support"],
                     body=urllib.parse.urlencode({"csrf_token": pair["csrf"]}),
                     headers={"Cookie": pair["cookie"] + "; tasharuk_lang=ar", "HX-Request": "true",
                              "User-Agent": USER_AGENT, "Accept-Language": "ar", "Accept-Encoding": "gzip, br",
                              "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise SystemExit(f"support interaction answered {response.status}")
    size, by_proxy = _wire(response, body)
    return size, len(body), by_proxy


# --- supports lost or duplicated -------------------------------------------------------------------------

def check_supports(app, pairs: list[dict], before: list[int], result: dict, *, counters: bool = True) -> dict:
    """Compare what the successful answers say with the rows and counters now in the database.

    For each pair the last successful answer says whether the resident supports the idea; a pair whose
    request was in flight when wrk stopped ("pending"), or one of whose requests got a 5xx or no answer
    (its outcome is unknown), is left out of that comparison and counted apart. With `counters`,
    each idea's support_count is also compared with its rows (a drift persists, so check it once). Lost: a support
    answered as recorded with no row. Duplicated: a row after an answered withdrawal, more than one row
    for a pair, or an idea counter above its rows.
    """
    from sqlalchemy import func, select

    from extensions import db
    from models import Idea, Support

    expected = list(before)
    pending_pairs, unanswered = set(), set()
    ok_support = ok_withdraw = 0
    by_thread: dict[int, list[int]] = {}
    for index, pair in enumerate(pairs):
        by_thread.setdefault(pair["thread"], []).append(index)
    for thread in result["threads"]:
        indexes = by_thread.get(thread["tid"], [])
        for local, index in enumerate(indexes):
            expected[index] = thread["state"][local]
        if thread["pending"]:
            pending_pairs.add(indexes[thread["pending"] - 1])
        unanswered |= {indexes[local] for local, flag in enumerate(thread.get("unanswered", [])) if flag}
        ok_support += sum(thread["ok_support"])
        ok_withdraw += sum(thread["ok_withdraw"])
    with app.app_context():
        user_ids = [p["user_id"] for p in pairs]
        rows: dict[tuple[int, int], int] = {}
        for user_id, idea_id, n in db.session.execute(
                select(Support.user_id, Support.idea_id, func.count()).where(Support.user_id.in_(user_ids))
                .group_by(Support.user_id, Support.idea_id)):
            rows[(user_id, idea_id)] = n
        idea_ids = sorted({p["idea_id"] for p in pairs})
        counted = dict(db.session.execute(select(Support.idea_id, func.count()).where(Support.idea_id.in_(idea_ids))
                                          .group_by(Support.idea_id)).all())
        stored = dict(db.session.execute(select(Idea.id, Idea.support_count).where(Idea.id.in_(idea_ids))).all())
        db.session.remove()
    lost = duplicated = 0
    for index, pair in enumerate(pairs):
        n = rows.get((pair["user_id"], pair["idea_id"]), 0)
        duplicated += max(0, n - 1)
        if index in pending_pairs or index in unanswered:
            continue
        if expected[index] == 1 and n == 0:
            lost += 1
        elif expected[index] == 0 and n > 0:
            duplicated += 1
    drift = {i: stored[i] - counted.get(i, 0) for i in idea_ids if stored[i] != counted.get(i, 0)} if counters else {}
    duplicated += sum(d for d in drift.values() if d > 0)
    lost += sum(-d for d in drift.values() if d < 0)
    return {"lost": lost, "duplicated": duplicated, "ok_support": ok_support, "ok_withdraw": ok_withdraw,
            "pending_left_out": len(pending_pairs), "unanswered_left_out": len(unanswered - pending_pairs),
            "counter_drift": drift}


# --- the run ---------------------------------------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--scale", type=int, choices=(1, 10), default=1)
    parser.add_argument("--quick", action="store_true", help="small campaign, short runs (< 2 min)")
    parser.add_argument("--x10", action="store_true",
                        help="also count SQL statements on a data set ten times larger (automatic with --scale 10)")
    parser.add_argument("--json", dest="json_out", help="write the results here")
    parser.add_argument("--seconds", type=float, help="length of one wrk run (default 10, --quick 2)")
    parser.add_argument("--rounds", type=int, help="bare/page alternations per scenario (default 3, --quick 2)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="gunicorn workers (default 2 × cores, as deploy/gunicorn.conf.py)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (database, logs)")
    parser.add_argument("--page-cache", type=int, default=None, metavar="SECONDS",
                        help="the public page cache's time-to-live on the served app (default: the "
                             "production default, 10; 0 = off: every page rendered)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    from config import Config

    page_cache = Config.PUBLIC_CACHE_SECONDS if args.page_cache is None else args.page_cache
    rounds = args.rounds or (2 if args.quick else 3)
    if not shutil.which("wrk") and not Path("/usr/bin/wrk").exists():
        raise SystemExit("wrk not found (Debian: apt-get install wrk; ./scripts/test installs it)")

    started = time.perf_counter()
    secret = secrets.token_hex(32)
    os.environ["SECRET_KEY"] = secret  # ProductionConfig reads it; the workers get the same one
    os.environ["TASHARUK_ENV"] = "production"
    work = Path(tempfile.mkdtemp(prefix="tasharuk-bench-"))
    postgres = Postgres(work) if args.db == "postgresql" else None
    server = None
    try:
        if postgres is not None:
            postgres.start()

        def new_database(name: str) -> str:
            if postgres is not None:
                return postgres.create(name)
            return f"sqlite:///{work / (name + '.sqlite')}"

        label = "quick" if args.quick else f"×{args.scale}"
        log(f"Generating the campaign ({label}) on {args.db}…")
        url = new_database("bench")
        generated = build_dataset(url, args.scale, args.quick)
        log(f"  {generated.counts} in {generated.seconds:.1f} s")
        app = make_app(url)
        pairs = prepare_pairs(app, generated, count=(CONNECTIONS * 25 if args.quick else CONNECTIONS * 100) + 1,
                              threads=CONNECTIONS)
        probe, pairs = pairs[-1], pairs[:-1]  # one resident for the statement count and the byte count
        log(f"  {len(pairs) + 1} residents signed in ({time.perf_counter() - started:.1f} s)")
        statements = count_statements(url, generated, probe)
        log(f"  statements per request counted ({time.perf_counter() - started:.1f} s)")

        log(f"Starting gunicorn ({args.workers} workers, production configuration, rate limits off) "
            f"({time.perf_counter() - started:.1f} s)…")
        server = Server(url, secret, args.workers, work, page_cache)
        paths = scenario_paths(generated)
        for name, path in paths.items():
            status, _response, _body = http_get(server.base, path, {"Accept-Language": "ar"})
            if status != 200:
                raise SystemExit(f"{name}: {path} answered {status}")

        pages_lua = BENCH / "wrk_report.lua"
        pairs_file = work / "pairs.tsv"
        runs: dict[str, dict[str, list]] = {name: {"bare": [], "page": []} for name in SCENARIOS}
        checks = []
        for name in SCENARIOS:
            for round_number in range(rounds):
                runs[name]["bare"].append(wrk(server.base, "/bare", seconds, work, script=pages_lua))
                if name == "support":
                    states = pair_states(app, pairs)
                    pairs_file.write_text("".join(
                        f"{p['thread']}\t{p['support']}\t{p['withdraw']}\t{p['cookie']}\t"
                        f"{urllib.parse.quote(p['csrf'])}\t{s}\n" for p, s in zip(pairs, states)))
                    result = wrk(server.base, "/bare", seconds, work, script=BENCH / "wrk_support.lua",
                                 env={"BENCH_PAIRS": str(pairs_file)}, threads=CONNECTIONS)
                    # Checked after every run, before the next one starts from the database's state.
                    checks.append(check_supports(app, pairs, states, result,
                                                 counters=round_number == rounds - 1))
                else:
                    result = wrk(server.base, paths[name], seconds, work, script=pages_lua)
                runs[name]["page"].append(result)
            page, bare = runs[name]["page"], runs[name]["bare"]
            log(f"  {name:12s} {median([r['rps'] for r in page]):8.1f} req/s   bare "
                f"{median([r['rps'] for r in bare]):8.1f} req/s   p95 {median([r['p95_ms'] for r in page]):6.1f} ms"
                + (f"   non-2xx {sum(r['non_2xx'] for r in page)}" if any(r["non_2xx"] for r in page) else ""))
        rss = server.rss_mb()
        # The busiest idea's page (its whole thread), once, outside the load.
        t0 = time.perf_counter()
        status, busiest_response, busiest_body = http_get(
            server.base, f"/{generated.commune_slug}/ideas/{generated.busiest_idea_id}", {"Accept-Language": "ar"})
        busiest = {"comments": generated.comments_on[generated.busiest_idea_id], "status": status,
                   "ms": round((time.perf_counter() - t0) * 1000, 1), "bytes": len(busiest_body),
                   "gzip_bytes": len(gzip.compress(busiest_body, 6))}
        supports = {key: sum(c[key] for c in checks) for key in
                    ("lost", "duplicated", "ok_support", "ok_withdraw", "pending_left_out", "unanswered_left_out")}
        supports["counter_drift"] = checks[-1]["counter_drift"]
        # Outside the load: what an Arabic first visit and one support answer weigh.
        visit = first_visit(server.base, paths["idea_list"])
        interaction, interaction_raw, interaction_gzip = support_interaction(
            server.base, probe, pair_states(app, [probe])[0])
        server.stop()
        server = None

        statements_x10 = None
        statements_x1 = statements
        if args.scale == 10 or args.x10:
            other_scale = 1 if args.scale == 10 else 10
            log(f"Generating the ×{other_scale} data set for the statement counts…")
            other_url = new_database("bench_other")
            other = build_dataset(other_url, other_scale, args.quick)
            other_app = make_app(other_url)
            other_probe = prepare_pairs(other_app, other, count=1, threads=1)[0]
            counted = count_statements(other_url, other, other_probe)
            statements_x1, statements_x10 = (counted, statements) if args.scale == 10 else (statements, counted)

        result = summarise(args.db, args.scale, runs, statements_x1, statements_x10, first_visit_bytes=visit["total"],
                           support_interaction_bytes=interaction, rss=rss, supports=supports)
        notes = {
            "quick": args.quick, "dataset": generated.counts, "seconds_per_run": seconds, "rounds": rounds,
            "workers": args.workers, "connections": CONNECTIONS, "app_overrides": APP_OVERRIDES,
            "page_cache_seconds": page_cache,
            "gunicorn_config": str(GUNICORN_CONFIG.relative_to(ROOT)), "gunicorn_overrides": GUNICORN_OVERRIDES,
            "non_2xx": {n: sum(r["non_2xx"] for r in runs[n]["page"]) for n in SCENARIOS},
            "first_visit_parts": visit["parts"], "gzip_by_proxy": visit["gzip_by_proxy"] or interaction_gzip,
            "support_interaction_body_bytes": interaction_raw, "worker_rss_all_mb": [round(v, 1) for v in rss],
            "supports": supports, "machine": machine(), "busiest_idea_page": busiest,
            "idea_page_comments": generated.comments_on[generated.idea_page_id], "elapsed_s": round(time.perf_counter() - started, 1),
        }
        print_table(result, notes)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")
            log(f"Wrote {args.json_out}")
        return result
    finally:
        if server is not None:
            server.stop()
        if postgres is not None:
            postgres.stop()
        if args.keep:
            log(f"Work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def summarise(db: str, scale: int, runs: dict, statements: dict, statements_x10: dict | None, *,
              first_visit_bytes: int, support_interaction_bytes: int, rss: list[float], supports: dict) -> dict:
    """The JSON of the issue from the wrk runs (per scenario: its runs and the bare runs alternated with them)."""
    bare_all = [r["rps"] for name in SCENARIOS for r in runs[name]["bare"]]
    scenarios = {}
    for name in SCENARIOS:
        page, bare = runs[name]["page"], runs[name]["bare"]
        rps = median([r["rps"] for r in page])
        scenarios[name] = {
            "rps": round(rps, 1),
            "ratio_to_bare": round(rps / median([r["rps"] for r in bare]), 4),
            "p50_ms": round(median([r["p50_ms"] for r in page]), 2),
            "p95_ms": round(median([r["p95_ms"] for r in page]), 2),
            "statements": statements[name],
            "statements_x10": statements_x10[name] if statements_x10 else None,
        }
    return {
        "db": db,
        "scale": scale,
        "bare_rps": round(median(bare_all), 1),
        "scenarios": scenarios,
        "first_visit_bytes": first_visit_bytes,
        "support_interaction_bytes": support_interaction_bytes,
        "worker_rss_mb": round(max(rss), 1) if rss else None,
        "supports_lost": supports["lost"],
        "supports_duplicated": supports["duplicated"],
    }


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load {load:.1f}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


def print_table(result: dict, notes: dict) -> None:
    print()
    print(f"Tasharuk benchmark — {result['db']}, scale ×{result['scale']}{' (quick)' if notes['quick'] else ''}; "
          f"{notes['machine']}")
    print(f"data set: {notes['dataset']}")
    cache = notes.get("page_cache_seconds")
    cache_note = f"public page cache {cache} s" if cache else "public page cache off (every page rendered)"
    print(f"gunicorn {notes['gunicorn_config']} {' '.join(notes['gunicorn_overrides'])}, {notes['workers']} sync "
          f"workers, TASHARUK_ENV=production, {notes['app_overrides']}, {cache_note}; "
          f"wrk {notes['connections']} connections, {notes['rounds']} × {notes['seconds_per_run']:g} s "
          f"alternated with /bare, medians")
    print(f"bare endpoint: {result['bare_rps']:,.0f} req/s")
    print()
    print(f"{'scenario':12s} {'req/s':>8s} {'× bare':>8s} {'target':>7s} {'p50 ms':>7s} {'p95 ms':>7s} "
          f"{'SQL':>4s} {'SQL×10':>6s}")
    for name, s in result["scenarios"].items():
        target = TARGETS.get(name)
        x10 = "—" if s["statements_x10"] is None else str(s["statements_x10"])
        print(f"{name:12s} {s['rps']:8.1f} {s['ratio_to_bare']:8.1%} {f'{target:.0%}' if target else '—':>7s} "
              f"{s['p50_ms']:7.1f} {s['p95_ms']:7.1f} {s['statements']!s:>4s} {x10:>6s}")
    print()
    how = "gzip level 6 as a reverse proxy would (the app does not compress)" if notes["gzip_by_proxy"] else \
        "as the server sent them"
    print(f"first visit, Arabic idea list: {result['first_visit_bytes']:,} bytes on the wire (target ≤ 102,400), "
          f"text {how}:")
    for part, size in notes["first_visit_parts"].items():
        print(f"    {size:8,d}  {part}")
    print(f"one htmx support answer: {result['support_interaction_bytes']:,} bytes on the wire with headers "
          f"(body {notes['support_interaction_body_bytes']:,} bytes uncompressed; target ≤ 2,048)")
    b = notes["busiest_idea_page"]
    print(f"idea_page shows an idea with {notes['idea_page_comments']} comments (90th percentile); the busiest "
          f"idea ({b['comments']:,} comments, one thread) answers {b['bytes']:,} bytes ({b['gzip_bytes']:,} gzipped) "
          f"in {b['ms']:,.0f} ms")
    print(f"gunicorn worker RSS after the load: {notes['worker_rss_all_mb']} MB (target ≤ 150)")
    s = notes["supports"]
    print(f"supports under load: {s['ok_support']:,} recorded and {s['ok_withdraw']:,} withdrawn by the answers; "
          f"lost {result['supports_lost']}, duplicated {result['supports_duplicated']} "
          f"(left out: {s['pending_left_out']} requests in flight at the stop, {s['unanswered_left_out']} pairs "
          f"with a request answered 5xx or not at all)")
    if any(notes["non_2xx"].values()):
        print(f"non-2xx answers under load: {notes['non_2xx']}")
    print(f"whole run: {notes['elapsed_s']} s")


if __name__ == "__main__":
    main()
