#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vpnecmp.service: start it now and at every boot, reload it after editing
# /etc/vpnecmp/vpnecmp.conf, follow its log.
systemctl enable --now vpnecmp
vpnecmp daemon check
systemctl reload vpnecmp
journalctl -u vpnecmp -f
