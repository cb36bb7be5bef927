#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): "make install" and "make uninstall" into a DESTDIR.
#
#   make install DESTDIR=$tmp PREFIX=/usr INSTALL_KVER=K   exact file list
#   make uninstall ...                                     nothing left
#
# A failure means a packager or an operator gets a different set of files
# than documented in README and the Makefile (a man page, the unit or the
# modprobe.d/modules-load.d files missing, files outside PREFIX/DESTDIR, the
# unit starting a CLI at the wrong path or pointing its Documentation= at
# pages or files that are not installed), that "make uninstall" leaves files
# behind, or that it deletes the operator's own configuration in
# /etc/vpnecmp.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd make modinfo

kver=
for d in /lib/modules/6.1.* /lib/modules/6.12.*; do
	[ -e "$d/build/Makefile" ] && kver=${d##*/}
done
[ -n "$kver" ] || ktap_skip_all "no 6.1 or 6.12 kernel headers installed"

ktap_set_plan 7

tmp=$(mktemp -d /tmp/vpnecmp-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# files DIR: every file and symlink under DIR, relative, sorted.
files() {
	(cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort)
}

# expected PREFIX: what the Makefile documents for install.
expected() {
	local p=$1 m f
	{
		echo "$p/sbin/vpnecmp"
		for m in "$SRCDIR"/Documentation/*.[1-8]; do
			echo "$p/share/man/man${m##*.}/${m##*/}"
		done
		echo /etc/modprobe.d/vpnecmp.conf
		echo /etc/modules-load.d/vpnecmp.conf
		for f in "$SRCDIR"/etc/vpnecmp/*; do
			echo "/etc/vpnecmp/${f##*/}"
		done
		[ -f "$SRCDIR/systemd/vpnecmp.service" ] &&
			echo "$p/lib/systemd/system/vpnecmp.service"
		echo "$p/share/bash-completion/completions/vpnecmp"
		echo "$p/share/doc/vpnecmp/README"
		for f in "$SRCDIR"/Documentation/*.rst; do
			echo "$p/share/doc/vpnecmp/${f##*/}"
		done
		(cd "$SRCDIR/Documentation" && find examples -type f) |
			sed "s|^|$p/share/doc/vpnecmp/|"
		echo "/lib/modules/$kver/updates/vpnecmp.ko"
	} | sort
}

mk() {
	make -s -C "$SRCDIR" INSTALL_KVER="$kver" "$@" 2>&1
}

for prefix in /usr /usr/local; do
	d=$tmp/root${prefix//\//-}
	out=$(mk install DESTDIR="$d" PREFIX="$prefix")
	rc=$?
	if [ $rc -ne 0 ]; then
		ktap_print_msg "$out"
		ktap_test_fail "make install PREFIX=$prefix: file list"
		continue
	fi
	check_eq "make install PREFIX=$prefix: file list" \
		"$(expected "$prefix")" "$(files "$d")"
done

d=$tmp/root-usr
RET=0
v=$("$d/usr/sbin/vpnecmp" -V 2>&1)
[[ $v == "vpnecmp utility, version $(cat "$SRCDIR/VERSION")"* ]]
check_err $? "installed CLI says '$v'"
mv=$(modinfo -F vermagic "$d/lib/modules/$kver/updates/vpnecmp.ko" 2>&1)
[[ $mv == "$kver "* ]]
check_err $? "installed module has vermagic '$mv', not for $kver"
[ "$(stat -c %a "$d/etc/vpnecmp")" = 750 ]
check_err $? "/etc/vpnecmp is mode $(stat -c %a "$d/etc/vpnecmp"), not 750"
if [ -f "$SRCDIR/systemd/vpnecmp.service" ]; then
	grep -q '/usr/sbin/vpnecmp' "$d/usr/lib/systemd/system/vpnecmp.service"
	check_err $? "the unit does not run /usr/sbin/vpnecmp"
	grep -q '/usr/local/sbin/vpnecmp' \
		"$tmp/root-usr-local/usr/local/lib/systemd/system/vpnecmp.service"
	check_err $? "PREFIX=/usr/local: the unit does not run /usr/local/sbin/vpnecmp"
	# Every Documentation= target is installed (man:PAGE(N), file:PATH).
	for prefix in /usr /usr/local; do
		r=$tmp/root${prefix//\//-}
		docs=$(sed -n 's/^Documentation=//p' "$r$prefix/lib/systemd/system/vpnecmp.service")
		[ -n "$docs" ]
		check_err $? "PREFIX=$prefix: the unit has no Documentation="
		for ref in $docs; do
			case $ref in
			man:*)
				page=${ref#man:}
				sec=${page##*(}
				sec=${sec%)}
				page="$prefix/share/man/man$sec/${page%%(*}.$sec" ;;
			file:*) page=${ref#file:} ;;
			*) page=$ref ;;
			esac
			[ -f "$r$page" ]
			check_err $? "PREFIX=$prefix: the unit's Documentation=$ref is not installed ($page)"
		done
	done
fi
log_test "installed files work: CLI version, module vermagic, /etc/vpnecmp mode, unit path and docs"

# The operator's configuration survives uninstall; the rest goes.
echo "# mine" >"$d/etc/vpnecmp/vpnecmp.conf"
out=$(mk uninstall DESTDIR="$d" PREFIX=/usr)
check_err $? "make uninstall: $out"
check_eq "make uninstall keeps the operator's /etc/vpnecmp/vpnecmp.conf only" \
	"/etc/vpnecmp/vpnecmp.conf" "$(files "$d")"
rm "$d/etc/vpnecmp/vpnecmp.conf"
out=$(mk uninstall DESTDIR="$d" PREFIX=/usr)
check_eq "make uninstall again: nothing left, /etc/vpnecmp removed" \
	"0:" "$?:$(files "$d")$(find "$d/etc/vpnecmp" 2>/dev/null)"

d=$tmp/root-usr-local
mk uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null
check_eq "make uninstall PREFIX=/usr/local: nothing left" "" "$(files "$d")"

d=$tmp/dkms
RET=0
out=$(mk dkms-install DESTDIR="$d")
check_err $? "make dkms-install: $out"
[ -f "$d/usr/src/vpnecmp-$(cat "$SRCDIR/VERSION")/dkms.conf" ]
check_err $? "no dkms.conf in /usr/src/vpnecmp-VERSION"
out=$(mk uninstall DESTDIR="$d")
check_err $? "make uninstall: $out"
[ -z "$(files "$d")" ]
check_err $? "left after uninstall: $(files "$d")"
log_test "make dkms-install, then uninstall: nothing left"

ktap_finished
