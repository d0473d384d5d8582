# SPDX-License-Identifier: MIT
# gpup: plain GNU make (style.md 9). Objects mirror the tree under $(BUILD); sources are found
# by folder, so a new module needs no edit here. `make V=1` shows the commands.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PYTHON  ?= /usr/bin/python3

PKGS      := ncursesw libcurl libcjson libconfig libmicrohttpd libcrypto
TEST_PKGS := cmocka
# The tools `make check` drives (console end-to-end tests in tmux, the sim read back with curl
# and jq, the official Python SDK against the sim).
TEST_TOOLS := tmux curl jq python3
# Debian packages that provide the above (libcrypto: libssl-dev, for certificate sign-in and the
# sim's check of it), plus clang's sanitizer, fuzzer and analyzer runtimes
# (libclang-rt is only recommended by Debian 12's clang) and valgrind for the CI's extra checks.
DEB_PKGS  := make gcc pkg-config libncurses-dev libcurl4-openssl-dev libcjson-dev libconfig-dev \
             libmicrohttpd-dev libssl-dev libcmocka-dev tmux curl jq clang libclang-rt-14-dev \
             clang-tools valgrind python3 python3-azure

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Feature macros live here and nowhere else: exactly what `pkg-config --cflags ncursesw` emits.
FEATURES := -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wwrite-strings -Wundef
OPT      ?= -O2 -g
SANFLAGS ?=

PKG_OK   = $(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo yes)
TOOLS_OK = $(shell for t in $(TEST_TOOLS); do command -v $$t >/dev/null || exit 0; done; echo yes)
# On a fresh machine the build sets itself up: missing libraries or test tools run `make deps`
# first; where that is not possible, missing libraries stop the build with one line naming the
# Debian packages, and missing tools leave a warning (the tests that need them are skipped).
ifneq ($(PKG_OK)$(TOOLS_OK),yesyes)
ifeq ($(filter deps clean lint uninstall,$(MAKECMDGOALS)),)
$(info gpup: missing libraries or tools ($(PKGS) $(TEST_PKGS) $(TEST_TOOLS)); running 'make deps')
DEPS_OUT := $(shell $(MAKE) --no-print-directory deps 1>&2; echo $$?)
ifneq ($(PKG_OK),yes)
$(error gpup: cannot build: install the Debian packages: $(DEB_PKGS))
endif
ifneq ($(TOOLS_OK),yes)
$(warning gpup: tests that need $(TEST_TOOLS) will be skipped: install them with 'make deps')
endif
endif
endif
PKG_OK := $(PKG_OK)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(TEST_PKGS) 2>/dev/null)
LIBS_SIM   := $(shell pkg-config --libs libmicrohttpd libcjson libcrypto 2>/dev/null)
LIBS_GPUP  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS_TEST  := $(shell pkg-config --libs $(PKGS) $(TEST_PKGS) 2>/dev/null)

CPPFLAGS += -I. $(FEATURES) $(PKG_CFLAGS) -DGPUP_THEME_DIR='"$(PREFIX)/share/gpup/themes"' \
            -DGPUP_SOURCE_DIR='"$(CURDIR)"'
CFLAGS   += -std=c11 $(WARN) $(OPT) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)

MODEL_SRCS := $(wildcard model/*.c)
APP_SRCS   := $(wildcard config/*.c net/*.c cli/*.c tui/*.c)
SIM_SRCS   := $(filter-out sim/main.c,$(wildcard sim/*.c))
TSUP_SRCS  := $(wildcard tests/support/*.c)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
INTEG_SRCS := $(wildcard tests/integration/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB_MODEL := $(BUILD)/libgpmodel.a
LIB_APP   := $(BUILD)/libgpapp.a
LIB_SIM   := $(BUILD)/libgpsim.a
LIB_TSUP  := $(BUILD)/libgptest.a
GPUP      := $(BUILD)/gpup
GPUP_SIM  := $(BUILD)/gpup-sim
UNIT_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
INTEG_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(INTEG_SRCS))
BENCH_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench/bench_*.c))
# Each fuzz harness is replayed over its committed corpus by `make check` (replay_<name>), and
# built with libFuzzer by `make fuzz`.
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
REPLAY_BINS := $(patsubst %,$(BUILD)/tests/fuzz/replay_%,$(FUZZ_NAMES))

ALL_OBJS := $(call obj,$(MODEL_SRCS) $(APP_SRCS) $(SIM_SRCS) $(TSUP_SRCS) sim/main.c \
              $(wildcard main.c) $(UNIT_SRCS) $(INTEG_SRCS) $(wildcard tests/bench/*.c) \
              $(wildcard tests/fuzz/*.c))

.PHONY: all check check-san unit integration e2e bench lint deps demo clean \
        install uninstall fuzz valgrind

all: $(if $(wildcard sim/main.c),$(GPUP_SIM)) $(if $(wildcard main.c),$(GPUP))

# --- dependencies -------------------------------------------------------------------------
# `make deps` installs the Debian packages; the other targets run it themselves when pkg-config
# misses a library or a test tool (see above).
deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; \
	 elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	 else echo "gpup: need root or sudo to install: $(DEB_PKGS)" >&2; exit 1; fi; \
	 if ! command -v apt-get >/dev/null 2>&1; then \
	   echo "gpup: no apt-get here; install the equivalents of: $(DEB_PKGS)" >&2; exit 1; fi; \
	 $$SUDO apt-get update -qq && \
	 DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	   $(DEB_PKGS) >/dev/null


# --- compiling ----------------------------------------------------------------------------
# model/ and net/ are pure data and protocol code: conversions must be explicit there.
$(BUILD)/model/%.o $(BUILD)/net/%.o: CFLAGS += -Wconversion

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB_MODEL): $(call obj,$(MODEL_SRCS))
$(LIB_APP): $(call obj,$(APP_SRCS))
$(LIB_SIM): $(call obj,$(SIM_SRCS))
$(LIB_TSUP): $(call obj,$(TSUP_SRCS))
$(LIB_MODEL) $(LIB_APP) $(LIB_SIM) $(LIB_TSUP):
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(GPUP_SIM): $(BUILD)/sim/main.o $(LIB_SIM) $(LIB_MODEL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SIM) -lm

$(GPUP): $(BUILD)/main.o $(LIB_APP) $(LIB_MODEL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_GPUP) -lm

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB_TSUP) $(LIB_APP) $(LIB_SIM) $(LIB_MODEL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) -lm

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o \
                              $(LIB_TSUP) $(LIB_APP) $(LIB_SIM) $(LIB_MODEL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) -lm

# --- tests --------------------------------------------------------------------------------
# Every test binary prints cmocka's summary; tests/run.sh adds one closing line for the lot.
TEST_ENV := GPUP_SIM=$(abspath $(GPUP_SIM)) GPUP_BIN=$(abspath $(GPUP)) \
            GPUP_SRCDIR=$(CURDIR) PYTHON=$(PYTHON) \
            ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

check: all $(UNIT_BINS) $(REPLAY_BINS) $(INTEG_BINS)
	$(Q)$(TEST_ENV) sh tests/run.sh $(UNIT_BINS) $(REPLAY_BINS) $(INTEG_BINS) \
	  $(wildcard tests/e2e/test_*.sh)

unit: all $(UNIT_BINS) $(REPLAY_BINS)
	$(Q)$(TEST_ENV) sh tests/run.sh $(UNIT_BINS) $(REPLAY_BINS)

integration: all $(INTEG_BINS)
	$(Q)$(TEST_ENV) sh tests/run.sh $(INTEG_BINS)

# The whole suite once more, built by clang with AddressSanitizer and UBSan.
check-san:
	$(Q)$(MAKE) --no-print-directory BUILD=build/san CC=clang OPT="-O1 -g" \
	  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check

bench: all $(BENCH_BINS)
	$(Q)$(TEST_ENV) sh tests/bench/run.sh $(BENCH_BINS)

demo: all
	$(Q)if [ -x $(GPUP) ]; then exec $(GPUP) --demo; \
	 else echo "gpup: the console is not built yet; starting the emulator only"; \
	      exec $(GPUP_SIM) --listen 127.0.0.1:0 --fleet 300 --hosts 12 --seed 1; fi

# libFuzzer with ASan+UBSan: every harness for FUZZ_SECONDS each, starting from the committed
# seeds; new inputs go to build/fuzz/corpus/<name>, crashes to build/fuzz/crash-<name>-*.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" \
	  SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  $(addprefix $(FUZZ_BUILD)/lib,gpmodel.a gpapp.a gpsim.a) \
	  $(patsubst %,$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o,$(FUZZ_NAMES))
	$(Q)failed=; for n in $(FUZZ_NAMES); do \
	  clang -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/fuzz_$$n \
	    $(FUZZ_BUILD)/tests/fuzz/fuzz_$$n.o $(addprefix $(FUZZ_BUILD)/lib,gpapp.a gpsim.a gpmodel.a) \
	    $(LIBS_TEST) -lm || exit 1; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  echo "--- fuzz $$n for $(FUZZ_SECONDS) s"; \
	  rc=0; $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$n- $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$$n \
	    >$(FUZZ_BUILD)/fuzz_$$n.log 2>&1 || rc=$$?; \
	  grep -E '^(stat::|#[0-9]+.*(DONE|cov:)|==[0-9]+==ERROR|SUMMARY)' $(FUZZ_BUILD)/fuzz_$$n.log \
	    | tail -n 12; \
	  if [ $$rc -ne 0 ]; then echo "fuzz $$n FAILED (log: $(FUZZ_BUILD)/fuzz_$$n.log)"; \
	    failed="$$failed $$n"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed"; exit 1; fi; \
	echo "fuzz: $(words $(FUZZ_NAMES)) harnesses ran $(FUZZ_SECONDS) s each without a crash"

# --- layering (style.md 1) and banned calls (curl's checksrc list) --------------------------
lint:
	@! grep -rnE '#include *([<"](curl/|n?curses|microhttpd|libconfig|openssl/)|"(net|config|tui|cli|sim)/)' model/
	@! grep -rnE '#include *"(tui|cli)/' net/ config/ sim/
	@! grep -rnE '#include *("net/|"config/|<curl/)' sim/
	@! grep -rnE '#include *[<"](curl/|cJSON|cjson/|libconfig|microhttpd)' tui/
	@! grep -rnE '#include *<openssl/' tui/ config/ cli/ $(wildcard main.c)
	@! grep -rnE '#include *<(ncursesw/)?n?curses\.h>' --include='*.[ch]' --exclude=curses.h .
	@! grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets) *\(' \
	   --include='*.c' --include='*.h' model config net tui cli sim tests $(wildcard main.c)
	@echo "lint: layering and banned calls OK"

# --- install ------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/gpup/themes
	$(if $(wildcard sim/main.c),install -m 755 $(GPUP_SIM) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(wildcard main.c),install -m 755 $(GPUP) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(wildcard doc/*.1),install -m 644 $(wildcard doc/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/)
	$(if $(wildcard doc/*.5),install -m 644 $(wildcard doc/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/)
	$(if $(wildcard themes/*.theme),install -m 644 $(wildcard themes/*.theme) $(DESTDIR)$(PREFIX)/share/gpup/themes/)
	$(if $(wildcard completion/gpup.bash),install -D -m 644 completion/gpup.bash \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gpup)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/gpup $(DESTDIR)$(PREFIX)/bin/gpup-sim
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(wildcard doc/*.1)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man5/,$(notdir $(wildcard doc/*.5)))
	rm -rf $(DESTDIR)$(PREFIX)/share/gpup
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gpup
# Empty folders go; rmdir -p stops quietly at the first one still in use.
	rmdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions 2>/dev/null || true
	rmdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 2>/dev/null || true

clean:
	rm -rf build

# Extra targets live in mk/*.mk (soak, valgrind, scan-build...), each self-contained.
include $(wildcard mk/*.mk)

.SECONDARY:

-include $(ALL_OBJS:.o=.d)
