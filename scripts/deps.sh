#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian's archive only, everything that building, testing and
# the demo need.  Idempotent: silent when everything is already present.
set -eu

BPO_LIST=/etc/apt/sources.list.d/vpnecmp-backports.list

# debhelper, dh-dkms and lintian: "make deb"; zstd: the package test's root.
# Kernel meta packages: 6.1 comes from bookworm (-security), 6.12 and
# 6.12-rt from bookworm-backports or bookworm-security (whichever carries the
# newer one).  Debian sid's kernel is not installed: scripts/sid-kernel.sh
# (run at the end) keeps it and its build root under build/.
PKGS="build-essential kmod bc cpio pkg-config make gcc
      libnl-3-dev libnl-genl-3-dev libnl-route-3-dev iproute2 jq busybox-static sparse
      qemu-system-x86 linux-source-6.12 python3 perl python3-yaml python3-jsonschema
      linux-image-amd64 linux-headers-amd64
      linux-image-6.12-amd64 linux-headers-6.12-amd64
      linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64 debootstrap
      strongswan-charon strongswan-swanctl libstrongswan-standard-plugins
      strongswan-starter
      libldns3 libevent-core-2.1-7 libevent-pthreads-2.1-7 libnss3-tools libunbound8
      libcurl3-nss libcap-ng0
      bird2 frr keepalived iputils-ping gnuplot-nox dkms man-db
      flex bison libelf-dev libssl-dev
      debhelper dh-dkms lintian zstd"

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
# libreswan conflicts with strongSwan: its .deb is unpacked into
# build/libreswan (scripts/libreswan.sh), its libraries are in PKGS.
# sid's kernel, last: a failure there only takes that kernel out of the
# tests (check.sh reports it skipped, with the reason).
sid_kernel() {
	"$(dirname "$0")/libreswan.sh" ||
		echo "deps: no libreswan; selftests/libreswan.sh will be skipped" >&2
	"$(dirname "$0")/sid-kernel.sh" ||
		echo "deps: no sid kernel; its tests will be skipped" >&2
}

if [ -z "$missing" ]; then
	sid_kernel
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing; run 'make deps' as root" >&2
	exit 1
fi

if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$BPO_LIST"
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Third-party sources configured on the machine may be unreachable; only
# Debian's archive matters here, so a partial update is tolerated.
apt-get -q update >/dev/null 2>&1 || apt-get -q update || true
# Do not start the daemons on the host: the tests run them inside the guest.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	created_policy=1
fi
rc=0
apt-get -q -y --no-install-recommends install $missing >/dev/null || rc=$?
[ -n "$created_policy" ] && rm -f "$policy"
if [ "$rc" -ne 0 ]; then
	echo "deps: apt-get install failed ($rc)" >&2
	exit "$rc"
fi
echo "deps: done"
sid_kernel
