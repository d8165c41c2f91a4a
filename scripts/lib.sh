# Shared by scripts/run and scripts/test: find Python, create .venv, install the project, install system packages.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "caseapp needs Python 3.11 or newer (with venv); install it and try again." >&2
  return 1
}

# ensure_venv EXTRAS: create .venv once, (re)install when pyproject.toml or the extras change.
ensure_venv() {
  local extras="$1" stamp
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating $VENV"
    "$(find_python)" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
  fi
  stamp="$VENV/.caseapp-installed-$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    say "Installing caseapp${extras:+[$extras]} and its dependencies"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT${extras:+[$extras]}"
    rm -f "$VENV"/.caseapp-installed-*
    touch "$stamp"
  fi
}

# apt_install PACKAGE...: as root (or with password-less sudo) install Debian packages; otherwise explain.
apt_install() {
  local runner=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then runner=(sudo -n); else
      echo "Please install these packages and run the command again: $*" >&2
      echo "  e.g. sudo apt-get install -y $*" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Please install with your package manager: $*" >&2; return 1
  fi
  say "Installing system packages: $*"
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The servers the test suite starts for itself (PostgreSQL, Redis), the browser it drives (Chromium) and npm.
ensure_test_system_packages() {
  local missing=()
  # servers given with CASEAPP_TEST_DATABASE_URL / CASEAPP_TEST_REDIS_URL need no local binaries
  if [ -z "${CASEAPP_TEST_DATABASE_URL:-}" ] && ! command -v initdb >/dev/null 2>&1 &&
     ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  if [ -z "${CASEAPP_TEST_REDIS_URL:-}" ]; then command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); fi
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  ensure_browser_test_modules
}

# What the browser tests load into pages (axe-core), from the npm registry as tests/browser/package-lock.json pins
# it: installed when missing or when the lock file changed since the last install (npm writes
# node_modules/.package-lock.json at the end of every install).
ensure_browser_test_modules() {
  local dir="$ROOT/tests/browser"
  if [ -f "$dir/node_modules/axe-core/axe.min.js" ] &&
     [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return 0
  fi
  say "Installing the browser tests' npm packages (axe-core)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
}
