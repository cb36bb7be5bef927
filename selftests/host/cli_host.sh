#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): the CLI where the vpnecmp module is not loaded (the
# host never loads it), and the bash completion (completions/vpnecmp).
#
#   vpnecmp version         exit 1, "module not loaded", and what to run:
#                           modprobe, dkms status, or which package
#   _vpnecmp (completions)  objects, commands, keywords, values
#
# Every Documentation/examples/*/vpnecmp.conf is a daemon configuration that
# "vpnecmp daemon config FILE check" accepts (no module needed).
#
# A failure means an operator whose module did not load (no DKMS build for
# a new kernel, no headers) only reads "not found" and is not told what to
# run, or that <Tab> after "vpnecmp" offers wrong or no words: a keyword
# missing from the completion, a keyword offered twice on a line (the
# grammar refuses it), a value list that does not match the grammar.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cli

ktap_set_plan 4

# --------------------------------------------------------- module missing

rel=$(uname -r)
if [ -d /sys/module/vpnecmp ] || genl_family_present; then
	ktap_test_skip "vpnecmp version without the module: the module is loaded here"
else
	RET=0
	err=$("$VPNECMP" version 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 1 ]
	check_err $? "exit status $rc, not 1"
	grep -q '^Error: vpnecmp module not loaded' <<<"$err"
	check_err $? "no 'module not loaded' error: $err"
	grep -q "^Hint: .*running kernel $rel" <<<"$err"
	check_err $? "the hint does not name the running kernel $rel: $err"
	if [ -d /var/lib/dkms/vpnecmp ]; then
		want='dkms status vpnecmp'
	elif grep -q '/vpnecmp\.ko[^:]*:' "/lib/modules/$rel/modules.dep" 2>/dev/null; then
		want='modprobe vpnecmp'
	else
		want='install the vpnecmp-dkms package'
	fi
	grep -q "$want" <<<"$err"
	check_err $? "the hint does not say '$want': $err"
	log_test "vpnecmp version without the module: exit 1, says what to run ($want)"
fi

# --------------------------------------------------------- examples

# An operator copies any file named vpnecmp.conf to /etc/vpnecmp/.
RET=0
n=0
for f in "$SRCDIR"/Documentation/examples/*/vpnecmp.conf; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	out=$("$VPNECMP" daemon config "$f" check 2>&1)
	check_err $? "${f#"$SRCDIR"/}: $out"
done
[ $n -gt 0 ]
check_err $? "no Documentation/examples/*/vpnecmp.conf"
log_test "every Documentation/examples/*/vpnecmp.conf passes daemon check ($n)"

# --------------------------------------------------------- completion

# complete WORD...: the candidates for the last WORD (possibly "") after
# "vpnecmp WORD...", one line, sorted.
complete_words() {
	bash -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_vpnecmp
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " "
	' complete "$SRCDIR/completions/vpnecmp" "$VPNECMP" "$@"
}

RET=0
# want EXPECTED WORD...
want() {
	local exp=$1 got
	shift
	got=$(complete_words "$@")
	got=${got% }
	[ "$got" = "$exp" ]
	check_err $? "vpnecmp $*<Tab>: expected '$exp', got '$got'"
}
want "daemon event group help monitor path stats version" ""
want "--help --version -V -br -h -j -n -p -s" "-"
want "group" -j -s gr
want "add del delete help list ls set show" path ""
want "all-down hold-up nhid preempt type" group add aws ""
want "mpath resilient" group add aws nhid 100 type ""
want "fallback keep" group add aws all-down ""
want "hold-up preempt type" group add aws nhid 100 all-down keep ""
want "dev group hold-up if-id local mark nhid remote signals tier weight" path add t1 ""
want "hold-up if-id mark signals tier weight" path add t1 group aws dev vti1 nhid 1 local 192.0.2.1 remote 192.0.2.2 ""
want "sa,admin sa,bgp sa,dpd sa,probe" path add t1 signals sa,""
want "admin bgp dpd probe sa" path add t1 signals ""
want "hold-up signals tier weight" path set t1 ""
want "admin bgp dpd probe" event t1 ""
want "down up" event t1 dpd ""
want "all group path" monitor ""
want "group prometheus" stats ""
want "prometheus" stats group aws ""
want "check config" daemon ""
want "check" daemon config /etc/vpnecmp/vpnecmp.conf ""
log_test "bash completion: objects, options, commands, keywords (each once), values"

# The names come from the module; without it, none, and no error on the
# terminal.
RET=0
out=$(complete_words path del "" 2>&1)
[ -z "${out// /}" ]
check_err $? "path del <Tab> without the module: '$out'"
out=$(complete_words -n "no-such-netns-$$" group show "" 2>&1)
[ -z "${out// /}" ]
check_err $? "-n NETNS group show <Tab>: '$out'"
log_test "bash completion without the module: no names, nothing printed"

ktap_finished
