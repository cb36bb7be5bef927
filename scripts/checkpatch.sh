#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's own checkpatch.pl --strict on module/ and uapi/.  The
# script comes from Debian's linux-source package (unpacked once into
# build/), never from this repository.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/build/checkpatch
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "checkpatch: no linux-source package; run 'make deps'" >&2
	exit 1
fi
stamp=$cache/.$(basename "$tarball")
if [ ! -e "$stamp" ]; then
	rm -rf "$cache"
	mkdir -p "$cache"
	dir=$(tar -tJf "$tarball" | head -n 1 | cut -d/ -f1)
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		"$dir/scripts/checkpatch.pl" "$dir/scripts/spelling.txt" \
		"$dir/scripts/const_structs.checkpatch"
	touch "$stamp"
fi
cd "$top"
echo "== checkpatch --strict"
"$cache/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES \
	-f module/*.c module/*.h uapi/linux/vpnecmp.h
