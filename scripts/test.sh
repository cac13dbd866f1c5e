#!/usr/bin/env bash
# The whole test suite: installs what the tests need (dependencies, Debian's Chromium, Dovecot and
# Postfix, and SpamAssassin when it can), builds dist/ (process tests run the compiled CLI) and
# type-checks the tests and the bench too, then runs every Vitest file. `npm test` runs this; so does CI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci
bash scripts/ensure-chromium.sh
bash scripts/ensure-dovecot.sh
bash scripts/ensure-postfix.sh
bash scripts/ensure-spamassassin.sh
node scripts/build.js
npx tsc --noEmit -p .
npx vitest run "$@"
