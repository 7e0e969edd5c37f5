"""The production deployment files of deploy/ (README "Production deployment"), tested for real:

- deploy/env.example documents exactly the environment variables the code reads;
- deploy/gunicorn.conf.py loads through gunicorn's own configuration machinery with the documented
  values (those bench/run.py measures), and its access log holds no token nor query string;
- the systemd units pass `systemd-analyze verify` and `security`, and run commands that exist;
- deploy/nginx/tasharuk.conf, run by a real nginx in front of a real gunicorn serving the app
  (production configuration, a SQLite file, rate limits in a real redis-server), over HTTPS with a
  self-signed certificate on loopback ports: redirects, the scheme and host the app sees, forged
  X-Forwarded-* headers, the body limit, static files (cache headers, gzip), the access log.
"""
from __future__ import annotations

import ast
import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
# Where the code of the application lives (the tests, bench and scripts are not the application).
CODE_DIRS = ("blueprints", "services", "models", "prioritization")
# Read by gunicorn itself, documented in env.example for the several-servers case.
THIRD_PARTY_VARIABLES = {"GUNICORN_CMD_ARGS"}
# Set by the system, not by whoever deploys: read (cli.py names who ran a command), never configured.
SYSTEM_VARIABLES = {"SUDO_USER"}


# --- env.example --------------------------------------------------------------------------------

def _code_files() -> list[Path]:
    files = sorted(ROOT.glob("*.py"))
    for folder in CODE_DIRS:
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def _is_os_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def _environment_reads(files: list[Path]) -> tuple[set[str], list[str]]:
    """Names read from os.environ (get, [], getenv, `in`), directly or through a helper that takes the
    name as a parameter (config._bool, services.accounts.keyed_secret), and reads whose name is not a
    literal (which this test could not check: they are reported as problems)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files}

    def read_name(node: ast.AST) -> ast.AST | None:
        """The expression naming the variable, if `node` reads the environment."""
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and _is_os_environ(func.value):
                return node.args[0] if node.args else None
            if (isinstance(func, ast.Attribute) and func.attr == "getenv"
                    and isinstance(func.value, ast.Name) and func.value.id == "os"):
                return node.args[0] if node.args else None
        if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            return node.slice
        if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
                and _is_os_environ(node.comparators[0])):
            return node.left
        return None

    # Helpers whose parameter is the name of the variable they read: {function name: parameter index}.
    helpers: dict[str, int] = {}
    for tree in trees.values():
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef):
                params = [a.arg for a in func.args.args]
                for node in ast.walk(func):
                    name = read_name(node)
                    if isinstance(name, ast.Name) and name.id in params:
                        helpers[func.name] = params.index(name.id)

    names: set[str] = set()
    problems: list[str] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            name = read_name(node)
            if name is None and isinstance(node, ast.Call):
                callee = node.func.id if isinstance(node.func, ast.Name) else (
                    node.func.attr if isinstance(node.func, ast.Attribute) else None)
                if callee in helpers and len(node.args) > helpers[callee]:
                    name = node.args[helpers[callee]]
            if name is None:
                continue
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                names.add(name.value)
            elif not (isinstance(name, ast.Name) and any(
                    isinstance(f, ast.FunctionDef) and f.name in helpers and name.id in [a.arg for a in f.args.args]
                    and f.lineno <= node.lineno <= f.end_lineno for f in ast.walk(tree))):
                problems.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}: environment read with a computed name")
    return names, problems


def _env_example() -> tuple[set[str], dict[str, str]]:
    """(every variable named, commented or not; the active VARIABLE=value lines)."""
    named, active = set(), {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            named.add(match.group(2))
            if not match.group(1):
                active[match.group(2)] = match.group(3)
    return named, active


def test_the_scanner_finds_direct_and_indirect_environment_reads(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def flag(name, default):\n    return os.environ.get(name, default)\n"
        "def key(label, env_name):\n    return os.environ.get(env_name) or label\n"
        "A = os.environ.get('ALPHA')\nB = os.environ['BETA']\nC = os.getenv('GAMMA')\n"
        "D = 'DELTA' in os.environ\nE = flag('EPSILON', 1)\nF = key(b'x', 'ZETA')\n"
        "G = os.environ.get('ETA' + 'THETA')\n"
    )
    names, problems = _environment_reads([sample])
    assert names == {"ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON", "ZETA"}
    assert len(problems) == 1 and "sample.py:12" in problems[0]


def test_env_example_lists_exactly_the_variables_the_code_reads():
    read, problems = _environment_reads(_code_files())
    assert problems == []
    # The ones the brief names, so that a scanner finding nothing cannot pass.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES", "MAIL_USE_STARTTLS",
            "PETITION_CIN_KEY", "IDENTITY_KEY"} <= read
    named, _active = _env_example()
    assert sorted(read - named - SYSTEM_VARIABLES) == [], "read by the code but not documented in deploy/env.example"
    assert sorted(named - read - THIRD_PARTY_VARIABLES) == [], "documented in deploy/env.example but read by nothing"


def test_env_example_is_a_valid_production_environment_once_the_secrets_are_filled():
    _named, active = _env_example()
    assert active["TASHARUK_ENV"] == "production"
    assert active["TRUSTED_PROXIES"] == "1"  # exactly the one nginx of deploy/nginx/
    for secret in ("SECRET_KEY", "PETITION_CIN_KEY", "IDENTITY_KEY"):
        assert active[secret] == "", f"{secret} must be left empty in the example"
    assert "MAIL_PASSWORD" not in active
    probe = (
        "import json, config\n"
        "c = config.config_from_env()\n"
        "c.check()\n"
        "print(json.dumps([c.ENV_NAME, c.TRUSTED_PROXIES, c.RATELIMIT_STORAGE_URI, c.SQLALCHEMY_DATABASE_URI,"
        " c.PUBLIC_BASE_URL, c.MAIL_SERVER, c.MAIL_PORT, c.SESSION_COOKIE_SECURE]))\n"
    )
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME")}
    filled = {**base, **active, "SECRET_KEY": secrets.token_hex(32)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=filled, capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    env_name, proxies, limits, database, public, mail, port, secure = json.loads(done.stdout)
    assert (env_name, proxies, limits, mail, port, secure) == (
        "production", 1, "redis://127.0.0.1:6379/0", None, 25, True)
    assert database == "postgresql+psycopg:///tasharuk?host=/run/postgresql"
    assert public.startswith("https://")
    # As shipped (SECRET_KEY empty), the app refuses to start rather than run with no key.
    refused = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**base, **active},
                             capture_output=True, text=True, check=False, timeout=60)
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr


# --- gunicorn.conf.py ---------------------------------------------------------------------------

def _gunicorn_config(monkeypatch, *extra: str):
    """deploy/gunicorn.conf.py as gunicorn's command line loads it (config file, then options)."""
    from gunicorn.app.wsgiapp import WSGIApplication

    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py"), *extra])
    monkeypatch.chdir(ROOT)
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg


def test_gunicorn_configuration_has_the_documented_values(monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run as bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    cfg = _gunicorn_config(monkeypatch)
    assert cfg.wsgi_app == "app:create_app()"
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.forwarded_allow_ips == ["127.0.0.1", "::1"]
    assert cfg.worker_class_str == "sync"
    assert cfg.workers == 2 * (os.cpu_count() or 1) == bench.DEFAULT_WORKERS  # what the benchmark measured
    assert (cfg.timeout, cfg.graceful_timeout) == (30, 30)
    assert (cfg.max_requests, cfg.max_requests_jitter) == (5000, 500)
    assert cfg.control_socket_disable is True
    assert cfg.accesslog is None and cfg.errorlog == "-"
    assert cfg.logger_class.__name__ == "RedactingLogger"
    # bench/run.py serves the app with this file; its own options win over the file.
    assert bench.GUNICORN_CONFIG == DEPLOY / "gunicorn.conf.py"
    changed = _gunicorn_config(monkeypatch, "--workers", "3", "--bind", "127.0.0.1:1234", *bench.GUNICORN_OVERRIDES)
    assert (changed.workers, changed.bind, changed.max_requests, changed.timeout) == (3, ["127.0.0.1:1234"], 0, 30)


def test_gunicorn_access_log_holds_no_token_query_string_address_or_browser(monkeypatch):
    cfg = _gunicorn_config(monkeypatch, "--access-logfile", "-")
    logger = cfg.logger_class(cfg)
    response = SimpleNamespace(status="200 OK", headers=[("Content-Type", "text/html")], sent=1234)
    request = SimpleNamespace(headers=[("Referer", "https://x/?q=secret-search")])

    def line(path: str, query: str = "") -> str:
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": path + ("?" + query if query else ""), "PATH_INFO": path,
                   "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "198.51.100.7",
                   "HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 9)", "HTTP_REFERER": "https://x/?q=secret-search"}
        return cfg.access_log_format % logger.atoms(response, request, environ, timedelta(milliseconds=12))

    assert line("/password/reset/Zk3-secret_TOKEN") == "GET /password/reset/[redacted] 200 1234 12ms"
    assert line("/unsubscribe/eyJ1c2VyIjo.secret", "a=1") == "GET /unsubscribe/[redacted] 200 1234 12ms"
    assert line("/tetouan/ideas", "q=secret-search") == "GET /tetouan/ideas 200 1234 12ms"


# --- systemd units ------------------------------------------------------------------------------

UNITS = sorted(p.name for p in (DEPLOY / "systemd").iterdir())


def _unit(name: str) -> dict[str, list[str]]:
    """`Key=value` lines of a unit file (keys may repeat, so not configparser)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def _systemd_analyze() -> str:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        pytest.fail("systemd-analyze is missing (Debian: apt-get install systemd; scripts/test installs it)")
    return binary


@pytest.fixture(scope="module")
def installed_units(tmp_path_factory) -> Path:
    """The units as installed on this machine: /srv/tasharuk is the repository, its .venv this Python's."""
    folder = tmp_path_factory.mktemp("units")
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        text = text.replace("/srv/tasharuk/.venv/bin/", f"{VENV_BIN}/").replace("/srv/tasharuk", str(ROOT))
        (folder / name).write_text(text)
    return folder


def test_units_are_the_documented_set():
    assert UNITS == ["tasharuk-backup.service", "tasharuk-backup.timer", "tasharuk-mail.service",
                     "tasharuk-retention.service", "tasharuk-retention.timer", "tasharuk.service"]


def test_systemd_analyze_verify_accepts_every_unit(installed_units):
    files = [str(installed_units / name) for name in UNITS]
    done = subprocess.run([_systemd_analyze(), "verify", *files], capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr


@pytest.mark.parametrize("name", [n for n in UNITS if n.endswith(".service")])
def test_services_are_sandboxed(installed_units, name):
    unit = _unit(name)
    assert unit["User"] == ["tasharuk"] and unit["EnvironmentFile"] == ["/etc/tasharuk/env"]
    assert unit["NoNewPrivileges"] == ["yes"] and unit["ProtectSystem"] == ["strict"]
    assert unit["PrivateTmp"] == ["yes"] and unit["ProtectHome"] == ["yes"]
    assert "/srv/tasharuk/instance" in unit["ReadWritePaths"][0].split()
    # systemd's own exposure score (0 safe .. 10 unsafe): at most 2.0 ("OK").
    done = subprocess.run([_systemd_analyze(), "security", "--offline=true", "--threshold=20",
                           str(installed_units / name)], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr


def test_web_service_runs_gunicorn_with_the_deploy_configuration():
    unit = _unit("tasharuk.service")
    assert unit["ExecStart"] == [
        "/srv/tasharuk/.venv/bin/gunicorn --config /srv/tasharuk/deploy/gunicorn.conf.py"]
    assert unit["Type"] == ["notify"]  # gunicorn tells systemd when it is ready
    assert unit["ExecReload"] == ["/bin/kill -s HUP $MAINPID"]
    assert int(unit["TimeoutStopSec"][0]) > 30  # longer than gunicorn's graceful_timeout


@pytest.mark.parametrize("name, command", [
    ("tasharuk-mail.service", ["mail", "worker"]),
    ("tasharuk-backup.service", ["backup", "--dir", "/var/backups/tasharuk"]),
    ("tasharuk-retention.service", ["retention", "apply"]),
])
def test_flask_services_run_real_commands(runner, name, command):
    exec_start = _unit(name)["ExecStart"]
    assert exec_start == ["/srv/tasharuk/.venv/bin/flask --app app:create_app " + " ".join(command)]
    # The command and its options exist in cli.py (an unknown command or option exits 2).
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("timer, hour", [("tasharuk-backup.timer", "03:00:00"), ("tasharuk-retention.timer", "04:00:00")])
def test_timers_run_daily_and_catch_up(timer, hour):
    unit = _unit(timer)
    assert unit["OnCalendar"] == [f"*-*-* {hour}"] and unit["Persistent"] == ["true"]
    assert unit["WantedBy"] == ["timers.target"]


def test_backup_service_keeps_fourteen_days_of_backups(tmp_path):
    """The ExecStartPost of tasharuk-backup.service, run on a folder of backups of various ages."""
    (post,) = _unit("tasharuk-backup.service")["ExecStartPost"]
    args = post.replace("'", "").split()
    assert args[:2] == ["/usr/bin/find", "/var/backups/tasharuk"]
    args[1] = str(tmp_path)
    now = time.time()
    ages = {"tasharuk-20260101T030000Z.dump": 15, "tasharuk-20260101T030000Z.manifest.json": 15,
            "tasharuk-20260102T030000Z.dump": 14.1, "tasharuk-20260103T030000Z.dump": 13.9,
            "tasharuk-20260116T030000Z.dump": 0.1, "keep-me.txt": 40}
    for name, days in ages.items():
        path = tmp_path / name
        path.write_text("x")
        os.utime(path, (now - days * 86400, now - days * 86400))
    subprocess.run(args, check=True, timeout=30)  # noqa: S603
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "keep-me.txt", "tasharuk-20260103T030000Z.dump", "tasharuk-20260116T030000Z.dump"]


# --- nginx in front of gunicorn, for real ----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} did not start within {seconds:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def site_config(tmp: Path, *, http: int, https: int, app: int, cert: Path, key: Path) -> str:
    """deploy/nginx/tasharuk.conf for this machine: loopback ports, the test certificate, the
    repository's static folder, logs in `tmp`. Each replaced text must be found."""
    text = (DEPLOY / "nginx" / "tasharuk.conf").read_text()
    replacements = [
        (r"^\s*listen \[::\]:.*\n", "", 4),
        (r"listen 80\b", f"listen 127.0.0.1:{http}", 2),
        (r"listen 443\b", f"listen 127.0.0.1:{https}", 2),
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app};", 1),
        (r"/etc/letsencrypt/live/tasharuk\.example\.ma/fullchain\.pem", str(cert), 2),
        (r"/etc/letsencrypt/live/tasharuk\.example\.ma/privkey\.pem", str(key), 2),
        (r"server_name tasharuk\.example\.ma;", "server_name 127.0.0.1;", 2),
        (r"/srv/tasharuk/static/", f"{ROOT}/static/", 3),
        (r"/var/log/nginx/", f"{tmp}/", 3),
        (r"root /var/www/html;", f"root {tmp}/acme;", 1),
    ]
    for pattern, replacement, count in replacements:
        text, found = re.subn(pattern, replacement, text, flags=re.M)
        assert found == count, f"deploy/nginx/tasharuk.conf: {pattern!r} found {found} times, expected {count}"
    directives = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for production_only in ("tasharuk.example.ma", "/srv/", "/var/", "/etc/", "[::]"):
        assert production_only not in directives, production_only
    return text


class Stack:
    """nginx (HTTPS on `https`, HTTP on `http`) → gunicorn → the app, as a client on loopback sees it."""

    def __init__(self, tmp: Path, http: int, https: int, cert: Path):
        self.tmp, self.http, self.https = tmp, http, https
        self.context = ssl.create_default_context(cafile=str(cert))

    def request(self, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None,
                tls: bool = True, host: str | None = None, timeout: float = 20):
        port = self.https if tls else self.http
        conn = (http.client.HTTPSConnection("127.0.0.1", port, context=self.context, timeout=timeout) if tls
                else http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host or f"127.0.0.1:{port}")
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def session(self) -> tuple[str, str]:
        """(Cookie header, CSRF token) of a fresh visitor of the sign-in page."""
        status, headers, body = self.request("GET", "/login")
        assert status == 200
        cookie = SimpleCookie()
        for value in headers.get_all("Set-Cookie") or []:
            cookie.load(value)
        token = re.search(r'name="csrf-token" content="([^"]+)"', body.decode()).group(1)
        return "; ".join(f"{k}={m.value}" for k, m in cookie.items()), token

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.https}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.fail("nginx is not installed (Debian: apt-get install nginx; scripts/test installs it)")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail("redis-server is not installed (Debian: apt-get install redis-server; scripts/test installs it)")
    tmp = tmp_path_factory.mktemp("deploy")
    (tmp / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (tmp / "acme" / ".well-known" / "acme-challenge" / "challenge-token").write_text("challenge answer")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)

    # The database: the models' schema in a SQLite file.
    from app import create_app
    from config import TestingConfig
    from extensions import db

    database = f"sqlite:///{tmp / 'tasharuk.sqlite'}"
    builder = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": database})
    with builder.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()

    http_port, https_port, app_port, redis_port = (_free_port() for _ in range(4))
    processes: list[subprocess.Popen] = []
    logs = []
    try:
        redis_log = tmp / "redis.log"
        logs.append(open(redis_log, "wb"))
        processes.append(subprocess.Popen(
            [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=logs[-1], stderr=subprocess.STDOUT))

        def redis_up() -> bool:
            with socket.create_connection(("127.0.0.1", redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        _wait(redis_up, "redis-server", processes[-1], redis_log)

        # gunicorn as deploy/systemd/tasharuk.service starts it, on a free port, with 2 workers (the
        # configuration's 2 × cores would only make the start slower on a busy test machine).
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TMPDIR")}
        env.update(TASHARUK_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database,
                   REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", TRUSTED_PROXIES="1",
                   PUBLIC_BASE_URL=f"https://127.0.0.1:{https_port}", PYTHONDONTWRITEBYTECODE="1")
        gunicorn_log = tmp / "gunicorn.log"
        logs.append(open(gunicorn_log, "wb"))
        processes.append(subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py"), "--bind",
             f"127.0.0.1:{app_port}", "--workers", "2"], cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT))

        def gunicorn_up() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", app_port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                return conn.getresponse().status == 200
            finally:
                conn.close()

        _wait(gunicorn_up, "gunicorn", processes[-1], gunicorn_log)

        # nginx with the site file inside a main configuration like Debian's (which includes
        # sites-enabled/* in its http block); every path in tmp, so no root is needed.
        (tmp / "site.conf").write_text(site_config(tmp, http=http_port, https=https_port, app=app_port,
                                                   cert=cert, key=key))
        main = tmp / "nginx.conf"
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's private tmp folder
        main.write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\n"
            "events { worker_connections 64; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    client_body_temp_path {tmp}/client_body;\n    proxy_temp_path {tmp}/proxy;\n"
            f"    fastcgi_temp_path {tmp}/fastcgi;\n    uwsgi_temp_path {tmp}/uwsgi;\n    scgi_temp_path {tmp}/scgi;\n"
            f"    access_log {tmp}/default-access.log;\n    include {tmp}/site.conf;\n}}\n")
        checked = subprocess.run([nginx, "-t", "-q", "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(main)],
                                 capture_output=True, text=True, check=False, timeout=60)
        assert checked.returncode == 0, f"nginx -t refused the configuration:\n{checked.stderr}"
        nginx_log = tmp / "nginx.out"
        logs.append(open(nginx_log, "wb"))
        processes.append(subprocess.Popen([nginx, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(main)],
                                          stdout=logs[-1], stderr=subprocess.STDOUT))
        result = Stack(tmp, http_port, https_port, cert)
        _wait(lambda: result.request("GET", "/healthz")[0] == 200, "nginx", processes[-1], tmp / "error.log")
        yield result
    finally:
        for proc in reversed(processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=35)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for handle in logs:
            handle.close()


def test_healthz_answers_through_the_proxy_with_the_apps_headers_once(stack):
    status, headers, body = stack.request("GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
    assert headers["Server"] == "nginx"  # server_tokens off: no version
    for name in ("Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options",
                 "X-Frame-Options", "Referrer-Policy"):
        assert len(headers.get_all(name) or []) == 1, name


def test_plain_http_redirects_to_https_except_certbots_challenges(stack):
    status, headers, _ = stack.request("GET", "/tetouan/ideas?page=2", tls=False)
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/tetouan/ideas?page=2"
    status, _, body = stack.request("GET", "/.well-known/acme-challenge/challenge-token", tls=False)
    assert (status, body) == (200, b"challenge answer")


@pytest.mark.parametrize("tls", [True, False])
def test_an_unknown_host_name_gets_no_answer(stack, tls):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        stack.request("GET", "/healthz", tls=tls, host="evil.example")


def test_the_app_sees_https_and_the_real_host_whatever_the_client_claims(stack):
    cookie, token = stack.session()
    forged = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example", "X-Forwarded-Ssl": "off",
              "Forwarded": "for=1.2.3.4;proto=http;host=evil.example", "X-Forwarded-For": "1.2.3.4",
              "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    form = f"csrf_token={token}&lang=fr&next=/".encode()
    # Over HTTPS, Flask-WTF requires a same-origin Referer: refused without one, so the app saw https.
    status, headers, _ = stack.request("POST", "/lang", headers=forged, body=form)
    assert status == 400 and "Content-Security-Policy" in headers  # the app's answer, not nginx's
    # With the real origin (port included) it is accepted: the app saw the real host, not evil.example.
    status, headers, _ = stack.request("POST", "/lang", headers={**forged, "Referer": stack.origin + "/login"},
                                       body=form)
    assert status == 303
    assert headers["Location"] == "/"
    language = [c for c in headers.get_all("Set-Cookie") if c.startswith("tasharuk_lang=fr")]
    assert language and "Secure" in language[0]


def test_body_above_the_apps_limit_is_refused_by_nginx(stack):
    from config import Config

    limit = Config.MAX_CONTENT_LENGTH
    cookie, _token = stack.session()
    boundary = "tasharukboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"x" * (limit - 1 - len(head) - len(tail)) + tail
    assert len(body) == limit - 1
    headers = {"Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}",
               "Referer": stack.origin + "/login"}
    # Just under the limit (Werkzeug itself refuses a body of exactly MAX_CONTENT_LENGTH): passed to
    # the app, which reads it all and refuses it for its missing CSRF token.
    status, response, _ = stack.request("POST", "/lang", headers=headers, body=body)
    assert status == 400 and "Content-Security-Policy" in response
    # One byte more: nginx answers 413 itself, from the announced length, before any body is sent.
    status, response, _ = stack.request("POST", "/lang", headers={**headers, "Content-Length": str(limit + 1)},
                                        timeout=5)
    assert status == 413 and "Content-Security-Policy" not in response


def test_static_files_are_served_by_nginx_cached_and_compressed(stack):
    _, app_headers, _ = stack.request("GET", "/healthz")
    cases = {
        "/static/vendor/htmx-2.0.11/htmx.min.js": ("public, max-age=31536000, immutable", "gzip"),
        "/static/css/app.css": ("public, max-age=3600", "gzip"),
        "/static/favicon.svg": ("public, max-age=3600", "gzip"),
        "/static/fonts/noto-sans-arabic-arabic-400-normal.woff2": ("public, max-age=2592000", None),
    }
    for path, (cache, encoding) in cases.items():
        status, headers, body = stack.request("GET", path, headers={"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Cache-Control"] == cache, path
        assert headers.get("Content-Encoding") == encoding, path
        assert (gzip.decompress(body) if encoding else body) == (ROOT / path.lstrip("/")).read_bytes(), path
        assert "Content-Security-Policy" not in headers, f"{path} was served by the app, not by nginx"
        # The headers nginx adds to files have the app's values.
        for name in ("X-Content-Type-Options", "Strict-Transport-Security"):
            assert headers.get_all(name) == app_headers.get_all(name), (path, name)
    # Not versioned: revalidated, and answered 304 without a body when unchanged.
    _, headers, _ = stack.request("GET", "/static/css/app.css")
    status, _, body = stack.request("GET", "/static/css/app.css", headers={"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    # Pages from the app are compressed too.
    status, headers, body = stack.request("GET", "/login", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and b"csrf-token" in gzip.decompress(body)
    assert "Accept-Encoding" in headers["Vary"]
    # Nothing outside static/ is reachable through it.
    for path in ("/static/../config.py", "/static/..%2fconfig.py", "/static/%2e%2e/config.py"):
        _status, _headers, body = stack.request("GET", path)
        assert b"SECRET_KEY" not in body, path


def test_access_log_holds_no_query_string_nor_token(stack):
    stack.request("GET", "/password/reset/Zk3secretTOKEN-x_y?lang=fr")
    stack.request("GET", "/tetouan/ideas?q=secret+search+words")
    log = (stack.tmp / "tasharuk.access.log").read_text()
    assert '"GET /password/reset/[redacted]"' in log
    assert '"GET /tetouan/ideas"' in log
    assert "Zk3secretTOKEN" not in log and "secret" not in log and "lang=fr" not in log
    assert "Mozilla" not in log and "127.0.0.1 [" in log


def test_a_forged_x_forwarded_for_does_not_escape_the_sign_in_rate_limit(stack):
    """Last in this module: it uses up the sign-in attempts of 127.0.0.1 for a minute."""
    cookie, token = stack.session()
    codes = []
    for attempt in range(21):  # 20 failed sign-ins a minute per address (blueprints/auth/routes.py)
        form = f"csrf_token={token}&identifier=nobody{attempt}%40example.test&password=not-the-password"
        status, _, _ = stack.request("POST", "/login", body=form.encode(), headers={
            "Cookie": cookie, "Referer": stack.origin + "/login", "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": f"203.0.113.{attempt}", "X-Real-IP": f"203.0.113.{attempt}"})
        codes.append(status)
    # A different forged address each time, a different account each time: still one client.
    assert codes == [400] * 20 + [429]
