#!/usr/bin/env bash
# The delivery-fault tests start a private Postfix (its own config and queue directories, a
# loopback port) with STARTTLS and SASL. SASL is Cyrus with a sasldb file (auxprop), which needs no
# second daemon; sasl2-bin provides saslpasswd2 to write that file, libsasl2-modules PLAIN/LOGIN.
set -euo pipefail
need=()
[ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/sbin/saslpasswd2 ] || need+=(sasl2-bin)
ls /usr/lib/*/sasl2/libplain.so* >/dev/null 2>&1 || need+=(libsasl2-modules)
ls /usr/lib/*/sasl2/libsasldb.so* >/dev/null 2>&1 || need+=(libsasl2-modules-db)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing for the Postfix tests: ${need[*]}. Run 'sudo apt-get install -y ${need[*]}'." >&2
  exit 1
fi
echo "Installing Debian's ${need[*]} for the delivery-fault tests…" >&2
export DEBIAN_FRONTEND=noninteractive
# No system mail service is wanted: the tests run their own instance.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
lock() { if command -v flock >/dev/null; then flock /tmp/apt.lock "$@"; else "$@"; fi; }
lock apt-get update -qq
lock apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
