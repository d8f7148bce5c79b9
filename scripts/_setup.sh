# Shared by scripts/run and scripts/test: make .venv (Python 3.11+), install the project once per
# change of setup.cfg, compile the translations. Idempotent; sourced, not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

# WeasyPrint (the PDF receipts and statements) needs pango and a local font: no web fonts, the app
# prints offline. Installed from Debian when missing and we are root; otherwise say what to install.
PDF_DEBIAN_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"

pdf_libraries_present() {
  local libs
  libs="$( (ldconfig -p || /sbin/ldconfig -p) 2>/dev/null)" || true
  grep -q 'libpango-1.0.so.0' <<<"$libs" && grep -q 'libpangoft2-1.0.so.0' <<<"$libs" &&
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]
}

ensure_pdf_libraries() {
  pdf_libraries_present && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's ${PDF_DEBIAN_PACKAGES} for PDF documents…"
    # shellcheck disable=SC2086  # the package list is meant to split
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PDF_DEBIAN_PACKAGES >/dev/null) ||
      echo "Could not install ${PDF_DEBIAN_PACKAGES}: PDF receipts and statements will fail." >&2
  else
    echo "PDF receipts and statements need pango and the DejaVu fonts; install them first," \
         "e.g. on Debian/Ubuntu: sudo apt-get install ${PDF_DEBIAN_PACKAGES}" >&2
  fi
}

ensure_venv() {  # $1: pip extras spec, e.g. "" or "[dev]"
  local extras="${1:-}"
  ensure_pdf_libraries
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  local stamp=".venv/.installed$(echo "$extras" | tr -d '[]')-$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing Koppontren${extras} into .venv …"
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}" > .venv/install.log 2>&1; then
      cat .venv/install.log >&2
      echo "Installation failed (log above, also in .venv/install.log)." >&2
      return 1
    fi
    touch "$stamp"
  fi
  .venv/bin/pybabel compile -d koppontren/translations >/dev/null 2>&1 ||
    .venv/bin/pybabel compile -d koppontren/translations
}
