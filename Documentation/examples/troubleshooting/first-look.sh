#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The first look: every tunnel, every group, with counters.
vpnecmp -br path show           # one line a tunnel: state, reason, since, SAs, member
vpnecmp -s path show            # state, reason, signals up, SAs, transitions
vpnecmp -s group show           # state, members, tier, error, replaces
vpnecmp version                 # module version, SA events seen and matched
