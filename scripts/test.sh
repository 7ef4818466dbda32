#!/usr/bin/env bash
# Install everything the tests need (idempotent), check code health, run the whole suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/unit -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing Python packages (requirements-dev.txt)"
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium for the browser tests"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: /usr/bin/chromium is missing; run: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

if ! command -v mash >/dev/null 2>&1; then
  echo "== installing Debian's mash (the reference the MinHash distances are checked against)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mash >/dev/null
  else
    echo "error: mash is missing; run: sudo apt-get install -y mash" >&2
    exit 1
  fi
fi

if ! command -v bcftools >/dev/null 2>&1; then
  echo "== installing Debian's bcftools (the judge of the VCF the mutation caller writes)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bcftools >/dev/null
  else
    echo "error: bcftools is missing; run: sudo apt-get install -y bcftools" >&2
    exit 1
  fi
fi

if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
  echo "== installing Debian's postgresql-client (pg_dump/pg_restore: backups of PostgreSQL)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
  else
    echo "error: pg_dump is missing; run: sudo apt-get install -y postgresql-client" >&2
    exit 1
  fi
fi

# axe-core for the accessibility tests, pinned in package.json / package-lock.json.
if ! command -v npm >/dev/null 2>&1; then
  echo "== installing Debian's nodejs and npm for the accessibility tests"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "error: npm is missing; run: sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
fi
# Skipped when node_modules already holds exactly what the lock file names.
if ! node -e '
  const lock = require("./package-lock.json").packages;
  for (const [where, pkg] of Object.entries(lock)) {
    if (where && require("./" + where + "/package.json").version !== pkg.version) process.exit(1);
  }' >/dev/null 2>&1; then
  echo "== installing JavaScript test tools (package.json: axe-core)"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

echo "== ruff (lint and format)"
python -m ruff check .
python -m ruff format --check .

echo "== mypy"
python -m mypy

echo "== pytest"
# Byte-compiled once here: the suite starts `python app.py` (servers, workers, the CLI) dozens
# of times, and where PYTHONDONTWRITEBYTECODE is set each start compiled every module again.
python -m compileall -q -j 0 app.py analysis dashboard hardware ledger tests >/dev/null
# Numba's kernels compiled into its cache once, before the workers start; otherwise each
# worker's live server compiles them (about 10 s of a core) at the same moment.
python -m analysis.phylo.warm
python -m analysis.mutations.warm
python -m pytest "$@"
