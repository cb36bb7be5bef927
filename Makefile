# SPDX-License-Identifier: GPL-2.0
#
# make              module for KDIR + the vpnecmp CLI
# make modules-all  module for every supported installed kernel, in build/KVER/
# make check        the selftests in QEMU guests on every supported kernel
# make lint         W=1 + sparse on every kernel, checkpatch --strict, YNL spec
# make check-debug  the selftests on a KASAN/lockdep/kmemleak kernel (built once)
# make deps         install what build, tests and demo need (Debian archive)
# make bench        benchmarks in guests: build/bench/results.md, plots,
#                   Documentation/benchmarks.rst
# make install      module (updates/) + CLI, man pages, unit, /etc files,
#                   bash completion, Documentation/ in PREFIX/share/doc/vpnecmp
# make install-files  everything but the module (with dkms-install)
# make deb          Debian packages vpnecmp and vpnecmp-dkms in build/deb/
#                   (dpkg-buildpackage, lintian; scripts/deb.sh)
# make check-packages  the packages installed, DKMS-built, tested in guests
#                   and purged in a Debian 12 root (selftests/pkg/packages.sh)
# make dkms-install the module sources in /usr/src/vpnecmp-VERSION for dkms
# make uninstall    the reverse of install (and of dkms-install); keeps /etc/vpnecmp
#                   when it holds your configuration
#   (DESTDIR, PREFIX=/usr/local, SYSCONFDIR=/etc, INSTALL_KVER=KDIR's kernel)

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := build

VPNECMP_VERSION := $(shell git -C $(TOP) describe --always --dirty --tags 2>/dev/null | sed 's/^v//')
ifeq ($(VPNECMP_VERSION),)
VPNECMP_VERSION := $(shell cat $(TOP)/VERSION)
else
VPNECMP_VERSION := $(shell cat $(TOP)/VERSION)-$(VPNECMP_VERSION)
endif

# Supported kernels: Debian's 6.1, 6.12 and 6.12-rt installed with headers,
# then those kept in build/kernels/NAME/ (Debian sid's: scripts/sid-kernel.sh;
# see selftests/vm/kernels.sh).
KVERS ?= $(sort $(shell cd /lib/modules 2>/dev/null && for k in 6.1.* 6.12.*; do \
		[ -e "$$k/build/Makefile" ] && echo "$$k"; done | sort -V) \
	$(shell $(TOP)/selftests/vm/kernels.sh external))
# KDIR: the running kernel's build tree, else the newest installed one.
KDIR ?= $(shell if [ -e /lib/modules/$$(uname -r)/build/Makefile ]; then \
		echo /lib/modules/$$(uname -r)/build; else \
		ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; fi)

MODULE_SRCS := Kbuild VERSION $(wildcard module/*.c module/*.h module/Kbuild) uapi/linux/vpnecmp.h

.PHONY: all probe-sim module userspace modules-all built check ynl lint deps clean install \
	install-module install-files dkms-install uninstall demo bench bench-bin check-debug \
	deb check-packages FORCE

all: module userspace

module:
	@[ -n "$(KDIR)" ] || { echo "no kernel build tree: make deps, or KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) VPNECMP_VERSION=$(VPNECMP_VERSION) modules

userspace:
	$(MAKE) -C userspace VPNECMP_VERSION=$(VPNECMP_VERSION)

# One copy of the sources per kernel: kbuild writes its objects beside them.
$(BUILD)/%/vpnecmp.ko: $(MODULE_SRCS) FORCE
	@mkdir -p $(BUILD)/$*/src
	@cp -a $(addprefix $(TOP)/,Kbuild VERSION uapi) $(BUILD)/$*/src/
	@mkdir -p $(BUILD)/$*/src/module && cp -a $(TOP)/module/*.[ch] $(TOP)/module/Kbuild \
		$(BUILD)/$*/src/module/
	$(TOP)/scripts/kbuild.sh $* $(TOP)/$(BUILD)/$*/src \
		VPNECMP_VERSION=$(VPNECMP_VERSION) $(KBUILD_EXTRA) modules
	@cp $(BUILD)/$*/src/module/vpnecmp.ko $@

modules-all: $(foreach k,$(KVERS),$(BUILD)/$(k)/vpnecmp.ko)

# The kernels are looked up again by a sub-make: "make deps check" installs
# them after this Makefile was read.
built:
	@$(MAKE) --no-print-directory modules-all userspace

check: built ynl bench-bin
	@selftests/vm/check.sh $(TESTS)

# The kernel's YNL client and schemas, from linux-source, for the spec tests.
ynl:
	@scripts/ynl.sh

# W=1 and sparse on every supported kernel, then checkpatch.
lint:
	@set -e; for k in $(KVERS); do \
		echo "== W=1 C=2 $$k"; \
		rm -rf $(BUILD)/lint-$$k; mkdir -p $(BUILD)/lint-$$k; \
		cp -a Kbuild VERSION module uapi $(BUILD)/lint-$$k/; \
		scripts/kbuild.sh $$k $(TOP)/$(BUILD)/lint-$$k -s W=1 C=2 \
			VPNECMP_VERSION=$(VPNECMP_VERSION) modules 2>&1 | \
			grep -v -E '^ *(CC|LD|MODPOST|CHECK|BTF)|Skipping BTF|^$$' | \
			tee $(BUILD)/lint-$$k.log; \
		[ ! -s $(BUILD)/lint-$$k.log ] || { echo "lint: warnings on $$k" >&2; exit 1; }; \
	done
	@scripts/checkpatch.sh
	@echo "== YNL spec against uapi/linux/vpnecmp.h and netlink-api.rst"
	@scripts/ynl.sh
	@python3 selftests/host/spec_check.py Documentation/netlink/specs/vpnecmp.yaml \
		uapi/linux/vpnecmp.h Documentation/netlink-api.rst \
		$(wildcard $(BUILD)/ynl/Documentation/netlink/genetlink-legacy.yaml)

# Debug kernel: see scripts/check-debug.sh and Documentation/testing.rst.
check-debug:
	@scripts/check-debug.sh $(TESTS)

deps:
	@scripts/deps.sh

# The main job: a failover on the two-tunnel topology, in a guest on the
# newest supported kernel, with and without vpnecmp.
# Debian 12's own 6.12 (not -rt, not sid's) when installed.
DEMO_KVER ?= $(or $(lastword $(filter 6.12.%,$(filter-out %-rt-amd64,$(KVERS)))),$(lastword $(KVERS)))
demo: built
	@rm -f $(BUILD)/demo/timeline.txt
	@selftests/vm/run-vm.sh $(DEMO_KVER) demo/demo.sh > $(BUILD)/demo.log 2>&1 || \
		{ cat $(BUILD)/demo.log; exit 1; }
	@cat $(BUILD)/demo/timeline.txt
	@[ ! -f $(BUILD)/demo/packets.png ] || echo "plot: $(BUILD)/demo/packets.png"

# Benchmarks print numbers; they never fail on them.  The C programs run in
# the guest from build/bench/bin (the guest shares the host's /usr).
BENCH_PROGS := nlbench udaemon flowgen
BENCH_SCRIPTS := bench/failover_latency.sh bench/loss.sh bench/scale.sh bench/throughput.sh
# Debian's generic 6.1 and 6.12 kernels (not the RT flavour).
BENCH_KVERS ?= $(filter-out %-rt-amd64,$(KVERS))

$(BUILD)/bench/bin/%: selftests/bench/%.c selftests/bench/nlnl.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 -Wall -Wextra -isystem uapi -o $@ $<

bench-bin: $(addprefix $(BUILD)/bench/bin/,$(BENCH_PROGS))

# The prober's verdict (userspace/daemon_verdict.c) on simulated probe
# streams: runs on the host, seeded, in seconds (Documentation/benchmarks.rst).
$(BUILD)/bench/bin/probe_sim: selftests/bench/probe_sim.c userspace/daemon_verdict.c userspace/daemon.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 -Wall -Wextra -isystem uapi -Iuserspace -o $@ \
		selftests/bench/probe_sim.c userspace/daemon_verdict.c -lm

probe-sim: $(BUILD)/bench/bin/probe_sim
	@$(BUILD)/bench/bin/probe_sim

bench: built bench-bin probe-sim
	@selftests/bench/run.sh $(BENCH_KVERS)

# Installation.  The module is built in build/KVER/src for one kernel
# (INSTALL_KVER) and copied to /lib/modules/KVER/updates/; on a gateway that takes
# kernel upgrades use dkms instead: "make dkms-install install-files", then
# "dkms install vpnecmp/VERSION" (dkms.conf, AUTOINSTALL).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/vpnecmp
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DKMS_SRCDIR ?= /usr/src/vpnecmp-$(shell cat $(TOP)/VERSION)
INSTALL_KVER ?= $(notdir $(patsubst %/build,%,$(KDIR)))
INSTALL ?= install
# depmod runs on the live system only; a DESTDIR is for packaging.
DEPMOD := $(if $(DESTDIR),true,depmod)
# Documentation/ as it is in the tree: the pages link to each other and to
# examples/ by relative name.
DOC_FILES := README $(wildcard Documentation/*.rst) \
	$(shell cd $(TOP) && find Documentation/examples -type f | LC_ALL=C sort)
DKMS_FILES := dkms.conf Kbuild VERSION module/Kbuild $(wildcard module/*.c module/*.h) \
	uapi/linux/vpnecmp.h

install: install-module install-files

# The module as kbuild built it: uncompressed, unsigned (kbuild's
# modules_install would try the kernel's signing key, which only the distro
# has, and nest it under updates/module/).  Secure Boot: use dkms, which signs
# with the machine owner key.
install-module: $(BUILD)/$(INSTALL_KVER)/vpnecmp.ko
	$(INSTALL) -D -m 0644 $< $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/vpnecmp.ko
	$(DEPMOD) -a $(INSTALL_KVER)

install-files:
	$(MAKE) -C userspace PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR) \
		VPNECMP_VERSION=$(VPNECMP_VERSION) install
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/modprobe.d $(DESTDIR)$(SYSCONFDIR)/modules-load.d
	$(INSTALL) -m 0644 packaging/modprobe.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/vpnecmp.conf
	$(INSTALL) -m 0644 packaging/modules-load.conf \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/vpnecmp.conf
	$(INSTALL) -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/vpnecmp
	$(INSTALL) -m 0644 $(wildcard etc/vpnecmp/*) $(DESTDIR)$(SYSCONFDIR)/vpnecmp/
	$(INSTALL) -D -m 0644 completions/vpnecmp $(DESTDIR)$(BASHCOMPDIR)/vpnecmp
	@for f in $(DOC_FILES); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$${f#Documentation/} || exit 1; done
	@echo "  DOC	$(DESTDIR)$(DOCDIR)"
	@if [ -f systemd/vpnecmp.service ]; then \
		echo "  UNIT	$(DESTDIR)$(UNITDIR)/vpnecmp.service"; \
		$(INSTALL) -d $(DESTDIR)$(UNITDIR) && \
		sed -e 's|/usr/sbin/vpnecmp|$(SBINDIR)/vpnecmp|g' \
			-e 's|/usr/share/doc/vpnecmp|$(DOCDIR)|g' systemd/vpnecmp.service \
			>$(DESTDIR)$(UNITDIR)/vpnecmp.service && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/vpnecmp.service; \
	fi

dkms-install:
	@for f in $(DKMS_FILES); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMS_SRCDIR)/$$f || exit 1; done
	@echo "  DKMS	$(DESTDIR)$(DKMS_SRCDIR): dkms install vpnecmp/$$(cat VERSION)"

uninstall:
	$(MAKE) -C userspace PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR) uninstall
	rm -f $(DESTDIR)$(SYSCONFDIR)/modprobe.d/vpnecmp.conf \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/vpnecmp.conf \
		$(DESTDIR)$(UNITDIR)/vpnecmp.service \
		$(DESTDIR)$(BASHCOMPDIR)/vpnecmp \
		$(addprefix $(DESTDIR)$(SYSCONFDIR)/vpnecmp/,$(notdir $(wildcard etc/vpnecmp/*)))
	@rmdir $(DESTDIR)$(SYSCONFDIR)/vpnecmp 2>/dev/null || true
	rm -rf $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/vpnecmp.ko*
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	$(DEPMOD) -a $(INSTALL_KVER)

# Debian packages (debian/): build/deb/vpnecmp_*.deb, vpnecmp-dkms_*.deb.
deb:
	@scripts/deb.sh

# Slow (a Debian 12 root, DKMS builds, two guests): not part of make check;
# .ci/run runs it after make check (Documentation/testing.rst).
check-packages: deb
	@selftests/pkg/packages.sh

FORCE:

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	$(MAKE) -C userspace clean
	rm -rf $(BUILD)
