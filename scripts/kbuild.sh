#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh KERNEL DIR [MAKE ARGS...]: run kbuild on the external module in
# DIR (an absolute path) for KERNEL (an installed kernel release, or the
# NAME or release of a kernel in build/kernels/NAME/, see
# selftests/vm/kernels.sh):
#   - installed:            make -C /lib/modules/KVER/build M=DIR ARGS
#   - build/kernels/NAME/build:  make -C that tree M=DIR ARGS
#   - build/kernels/NAME/root:   the same inside that build root (a chroot
#     with the distribution's compiler and /lib/modules/KVER/build): DIR must
#     be under the repository's build/, which is bind-mounted at the same
#     path inside the root, in a private mount namespace (root only).
set -eu

[ $# -ge 2 ] || { echo "usage: ${0##*/} KERNEL DIR [MAKE ARGS...]" >&2; exit 2; }
kernel=$1 dir=$2
shift 2

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=selftests/vm/kernels.sh
KERNELS_REPO=$top . "$top/selftests/vm/kernels.sh"

if [ -e "/lib/modules/$kernel/build/Makefile" ]; then
	exec make -C "/lib/modules/$kernel/build" M="$dir" "$@"
fi
if ! kernel_find "$kernel" || [ -z "$K_DIR" ]; then
	echo "kbuild: no build tree for kernel $kernel (not installed, not in build/kernels/)" >&2
	exit 1
fi
if [ -e "$K_DIR/build/Makefile" ]; then
	exec make -C "$K_DIR/build" M="$dir" "$@"
fi
if [ ! -f "$K_DIR/root" ]; then
	echo "kbuild: $K_DIR has neither build/ nor root" >&2
	exit 1
fi

read -r root <"$K_DIR/root"
if [ ! -e "$root/lib/modules/$K_KVER/build/Makefile" ]; then
	echo "kbuild: build root $root has no /lib/modules/$K_KVER/build" >&2
	exit 1
fi
case "$dir" in
"$top/build/"*) ;;
*) echo "kbuild: $dir is not under $top/build: the build root cannot see it" >&2; exit 1 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "kbuild: building for $K_KVER needs the build root $root: run as root" >&2
	exit 1
fi
mkdir -p "$root$top/build"
# The mounts live as long as the private namespace: nothing to undo.
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare -m --propagation private sh -eu -c '
root=$1 top=$2 kver=$3 dir=$4
shift 4
mount --bind "$top/build" "$root$top/build"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LC_ALL=C.UTF-8 make -C "/lib/modules/$kver/build" M="$dir" "$@"
' sh "$root" "$top" "$K_KVER" "$dir" "$@"
