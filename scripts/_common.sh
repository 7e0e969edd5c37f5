# Shared helpers for scripts/demo and scripts/test (sourced, not run).
# Every step is idempotent: running a script twice does only what is missing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE="${PYTHONDONTWRITEBYTECODE:-1}"

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }
die()  { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages that are not installed yet (one apt-get update, only if needed).
ensure_debian_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != "installed" ]; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand (Debian 12 expected)"
  say "Installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null
}

# Create .venv if missing, then install the given requirements file when it (or the
# runtime requirements it includes) changed since the last install.
ensure_venv() {
  local requirements="$1" stamp digest
  if [ ! -x "$PY" ]; then
    say "Creating the virtual environment in .venv"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      # Debian's own python3 needs python3-venv for ensurepip.
      rm -rf "$VENV"
      ensure_debian_packages python3-venv
      python3 -m venv "$VENV" || die "python3 -m venv failed"
    fi
  fi
  stamp="$VENV/.installed-$(basename "$requirements")"
  digest="$(cat "$ROOT/requirements.txt" "$ROOT/$requirements" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
    return 0
  fi
  say "Installing Python packages from $requirements"
  "$PY" -m pip install -q -r "$ROOT/$requirements"
  echo "$digest" >"$stamp"
}

# Compile translations/*/LC_MESSAGES/*.po into .mo (nothing to do while there is no catalog).
compile_translations() {
  if compgen -G "$ROOT/translations/*/LC_MESSAGES/*.po" >/dev/null; then
    say "Compiling translations"
    "$VENV/bin/pybabel" -q compile -d "$ROOT/translations"
  else
    warn "no translation catalog yet (translations/*/LC_MESSAGES/*.po): the interface shows the English source texts"
  fi
}

# True when migrations/versions holds at least one revision.
have_migrations() {
  compgen -G "$ROOT/migrations/versions/*.py" >/dev/null
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
