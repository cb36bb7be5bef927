#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: loss.sh's third scenario alone (tunnel 1's ESP
# blackholed in the underlay, found by the prober of "vpnecmp daemon"),
# with vpnecmp and without.  For a quick look without the whole "make
# bench":  make bench-bin && selftests/vm/run-vm.sh KVER bench/loss_probe.sh
#
# timeout: 300

SCENARIOS=probe exec "$(dirname "$0")/loss.sh"
