# SPDX-License-Identifier: GPL-2.0
#
# make              module for KDIR + the vpnecmp CLI
# make modules-all  module for every supported installed kernel, in build/KVER/
# make check        the selftests in QEMU guests on every supported kernel
# make lint         W=1 + sparse on every kernel, checkpatch --strict
# make check-debug  the selftests on a KASAN/lockdep/kmemleak kernel (built once)
# make deps         install what build, tests and demo need (Debian archive)

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

.PHONY: all module userspace modules-all built check lint deps clean install \
	module-install demo bench check-debug FORCE

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

check: built
	@selftests/vm/check.sh $(TESTS)

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

# Debug kernel: see scripts/check-debug.sh and Documentation/testing.rst.
check-debug:
	@scripts/check-debug.sh $(TESTS)

deps:
	@scripts/deps.sh

# The main job: a failover on the two-tunnel topology, in a guest on the
# newest supported kernel, with and without vpnecmp.
DEMO_KVER ?= $(lastword $(KVERS))
demo: built
	@rm -f $(BUILD)/demo/timeline.txt
	@selftests/vm/run-vm.sh $(DEMO_KVER) demo/demo.sh > $(BUILD)/demo.log 2>&1 || \
		{ cat $(BUILD)/demo.log; exit 1; }
	@cat $(BUILD)/demo/timeline.txt
	@[ ! -f $(BUILD)/demo/packets.png ] || echo "plot: $(BUILD)/demo/packets.png"

# Benchmarks print numbers; they never fail on them.
bench: built
	@for k in $(KVERS); do selftests/vm/run-vm.sh $$k bench/failover_latency.sh | \
		grep -E '^# # (kernel|module|floor|ratio|[0-9]+ of)'; done

install: module-install
	$(MAKE) -C userspace install

module-install:
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_DIR=updates modules_install

FORCE:

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	$(MAKE) -C userspace clean
	rm -rf $(BUILD)
