#!/usr/bin/env bash
# The whole test suite, on a fresh machine of this project's kind: formatting, lints, unit,
# property and end-to-end tests, and the outside verifier written from the specifications.
# It installs what the tests need and ends with one line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

# The server's tests need PostgreSQL's server binaries and libpq (for diesel).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! [ -e /usr/include/postgresql/libpq-fe.h ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql libpq-dev
fi
# The tests start a private PostgreSQL cluster here; stop it when they are done.
test_pg="${TMPDIR:-/tmp}/vitrine-test-postgres/postgres"
stop_test_pg() {
    if [ -f "$test_pg/postmaster.pid" ]; then
        pg_ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)
        if [ "$(id -u)" = 0 ]; then
            runuser -u postgres -- "$pg_ctl" stop -D "$test_pg" -m fast -w >/dev/null 2>&1 || true
        else
            "$pg_ctl" stop -D "$test_pg" -m fast -w >/dev/null 2>&1 || true
        fi
    fi
}
trap stop_test_pg EXIT

# The outside verifier needs Python's `cryptography` for Ed25519.
if ! python3 -c 'import cryptography' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check cryptography
fi

# The official OCDS checker, libcoveocds, and the reference compiler, ocdskit (with
# ocdsmerge), in a virtual environment of their own; the tests run them through
# tests/ocds/cove.py and tests/ocds/compile.py, which read the schema offline.
ocds_venv=target/ocds-venv
if ! "$ocds_venv/bin/python" -c 'import libcoveocds, ocdskit' 2>/dev/null; then
    python3 -m venv "$ocds_venv"
    "$ocds_venv/bin/python" -m pip install --quiet --disable-pip-version-check 'libcoveocds==0.17.0' 'ocdskit==1.7.0'
fi
export VITRINE_OCDS_CHECK="$PWD/$ocds_venv/bin/python"

# Schemathesis, which the API test runs against the server's own OpenAPI document.
st_venv=target/schemathesis-venv
if ! "$st_venv/bin/schemathesis" --version >/dev/null 2>&1; then
    python3 -m venv "$st_venv"
    "$st_venv/bin/python" -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
export VITRINE_SCHEMATHESIS="$PWD/$st_venv/bin/schemathesis"

# The pages are tested in headless Chromium (Debian's, never a downloaded one) driven by
# playwright-core, with axe-core for accessibility; a CJK font for the screenshots.
browser_packages=()
[ -x /usr/bin/chromium ] || browser_packages+=(chromium chromium-driver)
fc-list 2>/dev/null | grep -qi 'wenquanyi' || browser_packages+=(fonts-wqy-microhei)
command -v npm >/dev/null 2>&1 || browser_packages+=(nodejs npm)
if [ "${#browser_packages[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${browser_packages[@]}" >/dev/null
fi
if ! [ -d tests/browser/node_modules/playwright-core ] || ! [ -d tests/browser/node_modules/axe-core ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund --silent
fi

mkdir -p target
log=target/test-output.log
: > "$log"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
status=0
cargo test --workspace --locked 2>&1 | tee -a "$log" || status=$?

echo "== outside verifier"
if [ -f tests/outside-verifier/run.sh ]; then
    bash tests/outside-verifier/run.sh target/debug/vitrine 2>&1 | tee -a "$log" || status=$?
fi

echo "== in-browser verification against vitrine check-receipt"
(cd tests/browser && VITRINE_BIN="$PWD/../../target/debug/vitrine" VITRINE_ARTEFACTS="$PWD/../../target/browser-artefacts" node verify-vectors.mjs) 2>&1 | tee -a "$log" || status=$?

passed=$(grep -Eo '(test result: [a-zA-Z]+\. |outside-verifier: |browser-verify: )[0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "tests: ${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
