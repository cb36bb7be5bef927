#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's own checkpatch.pl --strict on the C sources and headers
# of module/ and uapi/ that git tracks: files a build leaves behind (the
# vpnecmp.mod.c of a "make KDIR=..." build, editor backups) are not ours to
# lint.  The script comes from Debian's linux-source package (unpacked once
# into build/), never from this repository.
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
mapfile -t files < <(git ls-files -- 'module/*.[ch]' 'uapi/*.h')
if [ ${#files[@]} -eq 0 ]; then
	echo "checkpatch: no tracked sources (not a git checkout?)" >&2
	exit 1
fi
echo "== checkpatch --strict (${#files[@]} tracked files)"
"$cache/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES -f "${files[@]}"

