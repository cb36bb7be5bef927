#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): dkms.conf builds the module for every supported
# kernel installed on this host (those check.sh boots: 6.1.* and 6.12.*
# with headers and /boot/vmlinuz), from the sources "make dkms-install"
# puts in /usr/src, in a private dkms tree under a temporary directory.
#
#   make dkms-install DESTDIR=$tmp DKMS_SRCDIR=/src/vpnecmp-VERSION
#   dkms --sourcetree $tmp/src --dkmstree $tmp/dkms add | build -k K | remove
#
# A failure means an operator's "dkms install vpnecmp/VERSION" would fail
# or silently do nothing on a supported kernel: dkms.conf names the wrong
# version or module location, the file list of dkms-install misses a source
# (the build breaks only outside the git tree), BUILD_EXCLUSIVE_KERNEL
# rejects a supported kernel, or VPNECMP_VERSION is not passed (the module
# would report the wrong version).  The last case fails when the test left
# anything behind on the host (/var/lib/dkms, /usr/src, /lib/modules).

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_root
require_cmd dkms modinfo

VERSION=$(cat "$SRCDIR/VERSION")
kernels=()
for d in /lib/modules/6.1.* /lib/modules/6.12.*; do
	k=${d##*/}
	[ -e "$d/build/Makefile" ] && [ -f "/boot/vmlinuz-$k" ] && kernels+=("$k")
done
[ ${#kernels[@]} -gt 0 ] || ktap_skip_all "no 6.1 or 6.12 kernel with headers installed"

ktap_set_plan $((3 + ${#kernels[@]}))

snapshot() {
	find /var/lib/dkms /usr/src /lib/modules -maxdepth 3 2>/dev/null | sort
	find /lib/modules -path '*/updates/*' -name 'vpnecmp*' 2>/dev/null
}
before=$(snapshot)

tmp=$(mktemp -d /tmp/vpnecmp-dkms.XXXXXX)
cleanup() {
	dkms_priv remove -m vpnecmp -v "$VERSION" --all >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# dkms with every path it writes to inside $tmp: its tree, the sources, and
# the module signing key it would otherwise create in /var/lib/dkms.
dkms_priv() {
	mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub \
		nice -n 10 dkms --dkmstree "$tmp/dkms" --sourcetree "$tmp/src" \
		--installtree "$tmp/lib/modules" "$@"
}

RET=0
out=$(make -s -C "$SRCDIR" dkms-install DESTDIR="$tmp" DKMS_SRCDIR="/src/vpnecmp-$VERSION" 2>&1)
check_err $? "make dkms-install: $out"
mkdir -p "$tmp/dkms"
out=$(dkms_priv add -m vpnecmp -v "$VERSION" 2>&1)
check_err $? "dkms add: $out"
st=$(dkms_priv status vpnecmp 2>&1)
[[ $st == "vpnecmp/$VERSION: added" ]]
check_err $? "dkms status says '$st', not 'vpnecmp/$VERSION: added'"
log_test "dkms add vpnecmp/$VERSION (version from VERSION)"

for k in "${kernels[@]}"; do
	RET=0
	out=$(dkms_priv build -m vpnecmp -v "$VERSION" -k "$k" 2>&1)
	check_err $? "dkms build -k $k failed: $(tail -n 20 <<<"$out"; \
		tail -n 20 "$tmp/dkms/vpnecmp/$VERSION/build/make.log" 2>/dev/null)"
	ko=$(find "$tmp/dkms/vpnecmp/$VERSION/$k" -name 'vpnecmp.ko*' 2>/dev/null | head -n 1)
	[ -n "$ko" ]
	check_err $? "no vpnecmp.ko under $tmp/dkms/vpnecmp/$VERSION/$k"
	if [ -n "$ko" ]; then
		vm=$(modinfo -F vermagic "$ko")
		[[ $vm == "$k "* ]]
		check_err $? "vermagic '$vm' is not for $k"
		v=$(modinfo -F version "$ko")
		[ "$v" = "$VERSION" ]
		check_err $? "module version '$v', expected '$VERSION' (VPNECMP_VERSION not passed)"
	fi
	log_test "dkms build vpnecmp/$VERSION for $k"
done

RET=0
out=$(dkms_priv remove -m vpnecmp -v "$VERSION" --all 2>&1)
check_err $? "dkms remove: $out"
st=$(dkms_priv status vpnecmp 2>&1)
[ -z "$st" ]
check_err $? "dkms status after remove: $st"
log_test "dkms remove --all"

after=$(snapshot)
check_eq "the host's dkms tree, /usr/src and /lib/modules are as found" \
	"$before" "$after"

ktap_finished
