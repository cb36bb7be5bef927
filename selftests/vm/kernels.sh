#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh - where the pieces of a kernel are, for run-vm.sh, check.sh and
# scripts/kbuild.sh (sourced), and for the Makefile (run).
#
# A kernel is either
#   - installed on the host: /boot/vmlinuz-KVER and /usr/lib/modules/KVER
#     (Debian's 6.1, 6.12, 6.12-rt), built against /lib/modules/KVER/build;
#   - or kept in REPO/build/kernels/NAME/ (Debian sid's, a debug kernel):
#       kver      one line, the kernel release (uname -r)
#       vmlinuz   a bzImage or an ELF vmlinux (PVH entry)
#       modules/  the INSTALL_MOD_PATH tree: modules/lib/modules/KVER/...
#                 with modules.dep (depmod -b modules KVER)
#       build     a kernel tree for "make -C build M=...", or, when the
#                 module must be built with another distribution's compiler,
#       root      a file naming a build root (chroot) that holds
#                 /lib/modules/KVER/build (see scripts/kbuild.sh).
# Such a kernel is named by NAME or by its KVER.
#
# Sourced: kernel_find ID sets
#   K_KVER     the release
#   K_IMAGE    the kernel image
#   K_MODROOT  the directory holding lib/modules/K_KVER ("/" when installed:
#              /lib is /usr/lib on Debian)
#   K_DIR      REPO/build/kernels/NAME, or "" when installed
# and returns 1 when ID is unknown.  kernel_series SERIES lists the kernels
# of a test series (6.1, 6.12, 6.12-rt, sid), one KVER a line.
#
# Run: "kernels.sh external" lists the KVERs under build/kernels/;
# "kernels.sh series SERIES" is kernel_series.

# shellcheck disable=SC2034 # K_* are for the scripts that source this one
KERNELS_REPO=${KERNELS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KERNELS_DIR=$KERNELS_REPO/build/kernels

# kernel_external: "NAME KVER" of every complete kernel under build/kernels/.
kernel_external() {
	local d kver
	for d in "$KERNELS_DIR"/*/; do
		d=${d%/}
		if [ ! -f "$d/kver" ] || [ ! -f "$d/vmlinuz" ]; then
			continue
		fi
		kver=
		read -r kver <"$d/kver"
		[ -n "$kver" ] || continue
		[ -d "$d/modules/lib/modules/$kver" ] || continue
		echo "${d##*/} $kver"
	done
}

kernel_find() {
	local id=$1 name kver

	K_KVER='' K_IMAGE='' K_MODROOT='' K_DIR=''
	case "$id" in
	''|*/*) return 1 ;;
	esac
	if [ -f "/boot/vmlinuz-$id" ] && [ -d "/usr/lib/modules/$id" ]; then
		K_KVER=$id
		K_IMAGE=/boot/vmlinuz-$id
		K_MODROOT=/
		return 0
	fi
	while read -r name kver; do
		if [ "$name" = "$id" ] || [ "$kver" = "$id" ]; then
			K_KVER=$kver
			K_DIR=$KERNELS_DIR/$name
			K_IMAGE=$K_DIR/vmlinuz
			K_MODROOT=$K_DIR/modules
			return 0
		fi
	done < <(kernel_external)
	return 1
}

# kernel_series SERIES: the kernels of one series, oldest first.
#   6.1, 6.12  Debian's installed generic kernels (not -rt)
#   6.12-rt    Debian's installed PREEMPT_RT 6.12 kernels
#   sid        build/kernels/sid-*/ (scripts/sid-kernel.sh)
kernel_series() {
	local s=$1 d k name kver

	case "$s" in
	sid)
		while read -r name kver; do
			[[ $name == sid-* ]] && echo "$kver"
		done < <(kernel_external) | sort -V
		;;
	*-rt)
		for d in /usr/lib/modules/"${s%-rt}".*-rt-*; do
			k=${d##*/}
			[ -d "$d" ] && [ -f "/boot/vmlinuz-$k" ] && echo "$k"
		done | sort -V
		;;
	*)
		for d in /usr/lib/modules/"$s".*; do
			k=${d##*/}
			[[ $k == *-rt-* ]] && continue
			[ -d "$d" ] && [ -f "/boot/vmlinuz-$k" ] && echo "$k"
		done | sort -V
		;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	external) kernel_external | while read -r _ k; do echo "$k"; done ;;
	series) kernel_series "${2:?series}" ;;
	*)
		echo "usage: ${0##*/} external | series SERIES" >&2
		exit 2 ;;
	esac
fi
