#!/usr/bin/env bash
# The test suite on Node 24 as well (see with-node24.sh). Arguments are passed to vitest, e.g.
# `bash scripts/test-node24.sh tests/cli`.
set -euo pipefail
exec bash "$(dirname "$0")/with-node24.sh" npx vitest run "$@"
