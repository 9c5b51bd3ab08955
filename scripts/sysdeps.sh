#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests use, when they are missing.
# Postfix is only installed, never started as a system service: tests run their
# own instance on a loopback port.
set -euo pipefail
need=()
command -v swaks >/dev/null || need+=(swaks)
[ -x /usr/sbin/postfix ] || need+=(postfix)
command -v opendkim >/dev/null || need+=(opendkim)
command -v opendkim-genkey >/dev/null || need+=(opendkim-tools)
command -v openssl >/dev/null || need+=(openssl)
command -v chromium >/dev/null || need+=(chromium)
dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || need+=(fonts-ipafont-gothic)  # Japanese text in browser-test screenshots
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "sysdeps: missing ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
