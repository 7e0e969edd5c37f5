"""gunicorn's production configuration for Tasharuk (README "Production deployment").

    /srv/tasharuk/.venv/bin/gunicorn --config /srv/tasharuk/deploy/gunicorn.conf.py

deploy/systemd/tasharuk.service runs exactly this. bench/run.py serves the app with this file too
(changing only the port, and worker recycling — see max_requests), so the measured numbers of the
README's "Benchmark" apply to it. Any setting can be overridden without editing this file, on the
command line or in GUNICORN_CMD_ARGS (deploy/env.example), e.g. "--bind 10.0.0.11:8000".
"""
import os
import re

from gunicorn.glogging import Logger

# The application factory (app.py); TASHARUK_ENV=production and the rest come from the environment.
wsgi_app = "app:create_app()"

# Only the local nginx talks to gunicorn. Several app servers behind a load balancer: bind a private
# address and set forwarded_allow_ips to the balancer's address (README "Several app servers").
bind = ["127.0.0.1:8000"]
# The X-Forwarded-* headers gunicorn itself trusts (wsgi.url_scheme); the app trusts one proxy too
# (TRUSTED_PROXIES=1, werkzeug's ProxyFix). nginx overwrites these headers on every request.
forwarded_allow_ips = "127.0.0.1,::1"

# 2 × cores synchronous workers: what bench/run.py measured (README "Benchmark"; docs/scaling.md).
# Each takes about 115-120 MB, so count 250 MB of RAM per core. nginx buffers slow clients, so a
# sync worker is never held by a phone on a slow network.
workers = 2 * (os.cpu_count() or 1)
worker_class = "sync"
# A request still running after 30 s is killed (the slowest page, the published ranking, takes ~1 s).
timeout = 30
# On stop or reload (systemctl reload: SIGHUP) workers finish the requests they have, for up to 30 s.
graceful_timeout = 30
# Memory hygiene: each worker is replaced after about 5,000 requests (the jitter spreads the restarts,
# so the workers are never all restarting at once). A slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# systemctl manages gunicorn (reload, stop); no control socket (it would be written in $HOME).
control_socket_disable = True
proc_name = "tasharuk"

# Errors go to standard error, hence to the journal (journalctl -u tasharuk). No access log here:
# nginx keeps one (with the client's address, which gunicorn never sees). To have one from gunicorn
# too, add "--access-logfile -" to GUNICORN_CMD_ARGS: it is written as below.
errorlog = "-"
loglevel = "info"
accesslog = None


class RedactingLogger(Logger):
    """An access log without personal data or secrets (law 09-08).

    No client address (nginx's log has it, kept 14 days by Debian's logrotate), no user agent, no referrer,
    no query string (search words people typed), and the secret part of a link that carries a
    token — a password reset, an e-mail unsubscribe — replaced by "[redacted]"."""

    TOKEN_IN_PATH = re.compile(r"(/(?:reset|unsubscribe)/)[^/]+")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = self.TOKEN_IN_PATH.sub(r"\1[redacted]", atoms["U"] or "")
        return atoms


logger_class = RedactingLogger
# method, path (no query string), status, bytes sent, milliseconds
access_log_format = '%(m)s %(U)s %(s)s %(b)s %(M)sms'
