#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libreswan for the selftests, unpacked into build/libreswan, not installed.
#
# Debian's libreswan package conflicts with strongswan-charon,
# strongswan-libcharon and strongswan-starter (both provide "ike-server"),
# which the other tests need.  pluto and whack do not need to be installed
# to run: their shared libraries are ordinary packages (scripts/deps.sh
# installs them) and every path they use is given on their command line
# (--rundir, --nssdir, --secretsfile, --ctlsocket).  So the .deb from
# Debian's archive is unpacked here with dpkg-deb -x, and selftests/
# libreswan.sh runs build/libreswan/usr/libexec/ipsec/{pluto,whack,addconn}.
# A host where libreswan is installed (/usr/libexec/ipsec/pluto) uses that.
# Idempotent; run by scripts/deps.sh.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/build/libreswan
[ -x "$dest/usr/libexec/ipsec/pluto" ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# _apt, which downloads, must be able to write there
chmod 0777 "$tmp"
(cd "$tmp" && apt-get -q download libreswan >/dev/null)
rm -rf "$dest.new"
dpkg-deb -x "$tmp"/libreswan_*.deb "$dest.new"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "deps: libreswan $(dpkg-deb -f "$tmp"/libreswan_*.deb Version) unpacked in $dest"
