#!/usr/bin/env bash
# Dependency audit for CI: `npm audit --omit=dev --audit-level=high` must be clean. When the audit
# service cannot be reached (offline, or a mirror without the audit endpoint), say so plainly and
# rely on the table of advisories in tests/hostile/dependencies.test.ts instead, which checks every
# installed production copy of nodemailer, handlebars, mjml and js-yaml against the release that
# fixed each advisory. That table runs in every case, so a stale audit database is caught too.
set -uo pipefail
cd "$(dirname "$0")/.."

report=$(mktemp)
trap 'rm -f "$report"' EXIT
npm audit --omit=dev --audit-level=high --json >"$report" 2>/dev/null
status=$?

if node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "{}"); process.exit(r.error || r.statusCode ? 0 : 1)' "$report" 2>/dev/null; then
  echo "audit: the audit service could not be reached from here, so npm audit gave no answer." >&2
  echo "audit: falling back to the table of known advisories and their fixed versions." >&2
elif [ "$status" -ne 0 ]; then
  echo "audit: npm audit found high or critical advisories in production dependencies:" >&2
  npm audit --omit=dev --audit-level=high >&2
  exit 1
else
  echo "audit: npm audit --omit=dev --audit-level=high is clean."
fi

npx vitest run tests/hostile/dependencies.test.ts --reporter=dot || {
  echo "audit: an installed library is older than the release that fixed one of its advisories (see above)." >&2
  exit 1
}
echo "audit: nodemailer, handlebars, mjml and js-yaml are at or above every fixed version in the table."
