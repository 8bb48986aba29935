# SPDX-License-Identifier: GPL-2.0
#
# make               the userland, and the module for the running kernel when
#                    its headers are installed
# make modules       the module for KVER (default: the running kernel), or
#                    against the kernel build tree KDIR
# make check         every test: unit tests, then the module booted in QEMU
#                    on each test kernel (installs what it needs)
# make demo          one application-consistent snapshot of a test VM, start to finish
# make bench         measures the freeze against a sequential FIFREEZE loop, on
#                    the newest test kernel or KVER
# make deps          installs the build and test dependencies (root)
# make install       installs snapfreeze, snapfreeze-hostd, their man pages and
#                    systemd files (DESTDIR, PREFIX)
# make deb           the Debian packages, in build/deb (DEB_VERSION: another
#                    version than dkms.conf's)
# make azure-extension  Azure's extension archive, build/azure/*.zip: the
#                    handler manifest, bin/handler.sh and the Debian packages
# make dkms-install  installs the module with DKMS for KVER
# make checkpatch    the kernel's style checker on the module's sources

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= build

PKG_CONFIG ?= pkg-config
# The guest command's libraries (libcrypto: Azure's protected settings),
# and the host agent's (libvirt for its libvirt backend, libxml2 for the
# domains' XML).
GUEST_PKGS := libnl-genl-3.0 libcjson libcurl libcrypto
HOSTD_PKGS := libcjson libvirt libxml-2.0
CFLAGS ?= -O2 -g
SF_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wmissing-prototypes -Iinclude/uapi -Iuserland/common \
	-DSNAPFREEZE_VERSION='"$(VERSION)"' \
	$(shell $(PKG_CONFIG) --cflags $(GUEST_PKGS) 2>/dev/null)
GUEST_LIBS = $(shell $(PKG_CONFIG) --libs $(GUEST_PKGS) 2>/dev/null) -lm
HOSTD_LIBS = $(shell $(PKG_CONFIG) --libs $(HOSTD_PKGS) 2>/dev/null) -lm
# What an object needs to compile: each part adds its own.
NEEDS_PKGS := $(GUEST_PKGS)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka)

# userland/common: what both commands use; userland/guest: the snapfreeze
# command; userland/hostd: the host agent. Each part is a library (all
# but its main()), for the unit tests.
COMMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard userland/common/*.c))
GUEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out userland/guest/main.c,$(wildcard userland/guest/*.c)))
HOSTD_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out userland/hostd/main.c,$(wildcard userland/hostd/*.c)))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
LIBCOMMON := $(BUILD)/libsfcommon.a
LIBGUEST := $(BUILD)/libsnapfreeze.a
LIBHOSTD := $(BUILD)/libsnapfreeze-hostd.a

# What DKMS needs to build the module: the sources, never build output.
DKMS_FILES := Kbuild Makefile dkms.conf include/uapi/linux/snapfreeze.h \
	$(wildcard kmod/*.c kmod/*.h) kmod/compat/compat.h \
	kmod/compat/probe.sh $(wildcard kmod/compat/probes/*.c)
DKMS_SRC := /usr/src/snapfreeze-$(VERSION)

# Keep the objects of the unit tests between builds.
.SECONDARY:

.PHONY: all userland modules module-if-possible clean clean-modules deps \
	unit unit-tests vm-tools check demo bench dkms-source dkms-build dkms-install checkpatch install \
	install-dkms-source deb azure-extension

all: userland module-if-possible

userland: $(BUILD)/snapfreeze $(BUILD)/snapfreeze-hostd

$(BUILD)/%.o: %.c $(wildcard userland/*/*.h tests/unit/*.h) include/uapi/linux/snapfreeze.h
	@missing=; for pkg in $(NEEDS_PKGS); do $(PKG_CONFIG) --exists $$pkg || missing="$$missing $$pkg"; done; \
	[ -z "$$missing" ] || { echo "snapfreeze: pkg-config finds no$$missing: development files missing, run 'make deps'" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SF_CFLAGS) -c -o $@ $<

# Each part sees its own headers and the common ones, no other part's; the
# unit tests see the part they test (test_hostd and test_protocol also the
# guest's, to test both ends of the protocol against each other).
$(BUILD)/userland/guest/%.o $(BUILD)/tests/%.o: SF_CFLAGS += -Iuserland/guest
HOSTD_TESTS := test_hostd test_protocol test_domain_xml
$(BUILD)/userland/hostd/%.o $(patsubst %,$(BUILD)/tests/unit/%.o,$(HOSTD_TESTS)): \
	SF_CFLAGS += -Iuserland/hostd $(shell $(PKG_CONFIG) --cflags $(HOSTD_PKGS) 2>/dev/null)
$(BUILD)/userland/hostd/%.o $(patsubst %,$(BUILD)/tests/unit/%.o,$(HOSTD_TESTS)): \
	NEEDS_PKGS += $(HOSTD_PKGS)

# Unit tests read their fixtures from the tree.
$(BUILD)/tests/unit/%.o: SF_CFLAGS += -DSF_FIXTURES='"$(CURDIR)/tests/unit/fixtures"'

$(LIBCOMMON): $(COMMON_OBJS)
	$(AR) rcs $@ $^

$(LIBGUEST): $(GUEST_OBJS)
	$(AR) rcs $@ $^

$(LIBHOSTD): $(HOSTD_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/snapfreeze: $(BUILD)/userland/guest/main.o $(LIBGUEST) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(GUEST_LIBS)

$(BUILD)/snapfreeze-hostd: $(BUILD)/userland/hostd/main.o $(LIBHOSTD) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(HOSTD_LIBS)

$(patsubst %,$(BUILD)/tests/%,$(HOSTD_TESTS)): $(BUILD)/tests/%: \
		$(BUILD)/tests/unit/%.o $(LIBHOSTD) $(LIBGUEST) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(GUEST_LIBS) $(HOSTD_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBGUEST) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(GUEST_LIBS) $(CMOCKA_LIBS)

# Test tools run inside the VM.
VM_TOOLS := $(BUILD)/tests/badmsg $(BUILD)/tests/freezebench $(BUILD)/tests/fakehost \
	$(BUILD)/tests/qmpgate $(BUILD)/tests/stallwrite

$(BUILD)/tests/badmsg: $(BUILD)/tests/vm/tools/badmsg.o $(LIBGUEST) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(GUEST_LIBS)

$(BUILD)/tests/freezebench: $(BUILD)/tests/vm/tools/freezebench.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/stallwrite: $(BUILD)/tests/vm/tools/stallwrite.o
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^

# The host side of the guest channel in the VM tests.
$(BUILD)/tests/fakehost: $(BUILD)/tests/vm/tools/fakehost.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(GUEST_LIBS)

# The end-to-end tests' host agent reaches QMP through it (tests/vm/e2e/agent.sh).
$(BUILD)/tests/qmpgate: $(BUILD)/tests/vm/tools/qmpgate.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

vm-tools: $(VM_TOOLS)

unit-tests: $(UNIT_TESTS)

unit: unit-tests
	@for t in $(UNIT_TESTS); do CMOCKA_MESSAGE_OUTPUT=TAP $$t || exit 1; done

module-if-possible:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) --no-print-directory modules; \
	else echo "snapfreeze: no kernel build tree at $(KDIR): module not built (install the headers of $(KVER), or build for another kernel with 'make modules KVER=...')"; fi

modules:
	@[ -f "$(KDIR)/Makefile" ] || { echo "snapfreeze: $(KDIR): no kernel build tree (install linux-headers-$(KVER), or pass KVER= or KDIR=)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Debian's headers do not ship checkpatch.pl: point CHECKPATCH at a kernel
# source tree's copy (e.g. from the linux-source-6.1 package).
CHECKPATCH ?= $(KDIR)/scripts/checkpatch.pl
checkpatch:
	@[ -f "$(CHECKPATCH)" ] || { echo "snapfreeze: $(CHECKPATCH): not found (pass CHECKPATCH=/path/to/linux/scripts/checkpatch.pl)" >&2; exit 1; }
	perl $(CHECKPATCH) --no-tree --strict --quiet -f $(filter %.c %.h,$(DKMS_FILES))

clean-modules:
	if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf kmod/compat/generated

clean: clean-modules
	rm -rf $(BUILD)

PREFIX ?= /usr
SYSTEMD_UNIT_DIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
install: userland
	install -D -m 0755 $(BUILD)/snapfreeze $(DESTDIR)$(PREFIX)/sbin/snapfreeze
	install -D -m 0644 docs/snapfreeze.8 $(DESTDIR)$(PREFIX)/share/man/man8/snapfreeze.8
	install -D -m 0644 dist/snapfreeze.json $(DESTDIR)/etc/snapfreeze/snapfreeze.json
	install -D -m 0644 dist/snapfreeze.modules-load $(DESTDIR)$(PREFIX)/lib/modules-load.d/snapfreeze.conf
	install -D -m 0644 dist/snapfreeze.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/snapfreeze.conf
	install -D -m 0644 dist/snapfreeze-agent.service \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/snapfreeze-agent.service
	install -D -m 0755 $(BUILD)/snapfreeze-hostd $(DESTDIR)$(PREFIX)/sbin/snapfreeze-hostd
	install -D -m 0644 docs/snapfreeze-hostd.8 $(DESTDIR)$(PREFIX)/share/man/man8/snapfreeze-hostd.8
	install -D -m 0644 dist/snapfreeze-hostd@.service \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/snapfreeze-hostd@.service
	install -D -m 0644 dist/hostd-vm.conf $(DESTDIR)$(PREFIX)/share/doc/snapfreeze-hostd/examples/vm1.conf

# The module's DKMS source folder, under DESTDIR (the Debian package's).
install-dkms-source:
	mkdir -p $(DESTDIR)$(DKMS_SRC)
	cp --parents $(DKMS_FILES) $(DESTDIR)$(DKMS_SRC)/

DEB_VERSION ?= $(VERSION)
deb:
	debian/build-packages.sh $(DEB_VERSION)

# Azure's extension archive: the manifest, the handler's script, and the
# packages it installs (the module needs DKMS on the VM's own kernel).
AZURE_EXT := $(BUILD)/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-$(DEB_VERSION).zip
azure-extension: deb
	rm -rf $(BUILD)/azure/tree && mkdir -p $(BUILD)/azure/tree/bin $(BUILD)/azure/tree/packages
	sed 's/@VERSION@/$(DEB_VERSION)/' dist/azure/HandlerManifest.json \
		>$(BUILD)/azure/tree/HandlerManifest.json
	install -m 0755 dist/azure/handler.sh $(BUILD)/azure/tree/bin/handler.sh
	cp $(BUILD)/deb/snapfreeze_$(DEB_VERSION)_*.deb $(BUILD)/deb/snapfreeze-dkms_$(DEB_VERSION)_all.deb \
		$(BUILD)/azure/tree/packages/
	rm -f $(AZURE_EXT)
	cd $(BUILD)/azure/tree && zip -qr $(abspath $(AZURE_EXT)) .
	@echo "$(AZURE_EXT)"

deps:
	tests/deps.sh

check: deps
	tests/check.sh

demo: deps
	tests/vm/demo.sh

# KVER=RELEASE benchmarks that test kernel instead of the newest.
bench: deps
	SNAPFREEZE_BENCH_KERNEL=$(if $(filter file,$(origin KVER)),,$(KVER)) tests/vm/bench.sh

# DKMS: the source goes to /usr/src/snapfreeze-VERSION, replacing an earlier
# copy of the same version (and its DKMS builds) so that DKMS always builds
# what is in this tree.
dkms-source:
	@[ "$$(id -u)" = 0 ] || { echo "snapfreeze: DKMS installation needs root" >&2; exit 1; }
	if dkms status -m snapfreeze -v $(VERSION) | grep -q .; then \
		dkms remove snapfreeze/$(VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	$(MAKE) --no-print-directory install-dkms-source DESTDIR=
	dkms add snapfreeze/$(VERSION)

dkms-build:
	dkms build --force -k $(KVER) snapfreeze/$(VERSION)

dkms-install: dkms-source
	$(MAKE) --no-print-directory dkms-build
	dkms install --force -k $(KVER) snapfreeze/$(VERSION)
