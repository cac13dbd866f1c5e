#!/usr/bin/env bash
# The whole test suite: installs what the tests need (dependencies, Debian's Chromium, Dovecot and
# Postfix, and SpamAssassin when it can), type-checks,
# then runs every Vitest file. `npm test` runs this; so does CI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci
bash scripts/ensure-chromium.sh
bash scripts/ensure-dovecot.sh
bash scripts/ensure-postfix.sh
bash scripts/ensure-spamassassin.sh
npx tsc --noEmit -p .
npx vitest run "$@"
