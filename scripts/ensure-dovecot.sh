#!/usr/bin/env bash
# The bounce-mailbox tests read a real IMAP server: Debian's Dovecot, run by the tests as a private
# instance (own config, loopback, ephemeral port). Only the binaries are needed, so the system
# service the package would start is kept from starting.
set -euo pipefail
if [ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Dovecot is missing: run 'sudo apt-get install -y dovecot-imapd' (bounce mailbox tests need it)." >&2
  exit 1
fi
echo "Installing Debian's dovecot-imapd for the bounce mailbox tests…" >&2
export DEBIAN_FRONTEND=noninteractive
# Other installs may run at the same time: apt is taken in turn through one lock file.
flock /tmp/apt.lock bash -c '
  set -euo pipefail
  policy=/usr/sbin/policy-rc.d
  saved=""
  if [ -e "$policy" ]; then saved="$(mktemp)"; cp -p "$policy" "$saved"; fi
  restore() { if [ -n "$saved" ]; then cp -p "$saved" "$policy"; rm -f "$saved"; else rm -f "$policy"; fi; }
  trap restore EXIT
  printf "#!/bin/sh\nexit 101\n" >"$policy"
  chmod 755 "$policy"
  apt-get install -y -qq dovecot-imapd >/dev/null || { apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null; }
'
