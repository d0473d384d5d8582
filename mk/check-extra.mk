# SPDX-License-Identifier: MIT
# mk/check-extra.mk: `make valgrind` and `make scan-build` (issue 6 part 5).
#
# valgrind: memcheck (--leak-check=full, definite leaks are errors) over the console screen
# tests, the CLI command tests, the CLI integration scenario with every gpup it starts run under
# valgrind too (GPUP_BIN is a wrapper), a few gpup commands against a live gpup-sim, and the
# console's end-to-end flows in tmux (VG_E2E) with the console itself under valgrind.
# Any memcheck error or definite leak fails the target: with -q memcheck writes nothing else,
# so any log that is not empty fails it (the console's exit status is not the tests' to see).
# The logs stay in build/valgrind.
#
# scan-build: clang's static analyzer over every object of the default build and the tests, in
# build/scan; any report fails the target (scan-build --status-bugs). Without scan-build,
# `clang --analyze` with the project flags over every .c file, failing on any warning.

VALGRIND      ?= valgrind
VG_DIR        := $(BUILD)/valgrind
VG_FLAGS      := --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                 --show-leak-kinds=definite --track-origins=yes --num-callers=30
VG_TEST_BINS  := $(BUILD)/tests/unit/test_screens $(BUILD)/tests/unit/test_cli_commands \
                 $(BUILD)/tests/unit/test_flow_screens $(BUILD)/tests/unit/test_cli_output \
                 $(BUILD)/tests/integration/test_cli_sim
VG_SUB        := 00000000-0000-0000-0000-000000000000
VG_E2E        := attach delete create readonly refused recovery resume profile

.PHONY: valgrind scan-build

valgrind: all $(VG_TEST_BINS)
	$(Q)command -v $(VALGRIND) >/dev/null || { echo "valgrind: not installed"; exit 1; }
	$(Q)rm -rf $(VG_DIR) && mkdir -p $(VG_DIR)/state $(VG_DIR)/home
	$(Q)printf '#!/bin/sh\nexec %s -q %s --log-file=%s/gpup.%%p.log %s "$$@"\n' \
	  '$(VALGRIND)' '$(VG_FLAGS)' '$(abspath $(VG_DIR))' '$(abspath $(GPUP))' \
	  >$(VG_DIR)/gpup && chmod +x $(VG_DIR)/gpup
	$(Q)set -e; start=$$(date +%s); \
	for t in $(VG_TEST_BINS); do \
	  n=$$(basename $$t); t0=$$(date +%s); \
	  $(TEST_ENV) GPUP_BIN=$(abspath $(VG_DIR))/gpup $(VALGRIND) -q $(VG_FLAGS) \
	    --log-file=$(VG_DIR)/$$n.log $$t >$(VG_DIR)/$$n.out 2>&1 \
	    || { cat $(VG_DIR)/$$n.out $(VG_DIR)/$$n.log; echo "valgrind: $$n FAILED"; exit 1; }; \
	  echo "valgrind: $$n clean ($$(grep -h '^\[  PASSED  \]' $(VG_DIR)/$$n.out), $$(( $$(date +%s) - t0 )) s)"; \
	done; \
	$(GPUP_SIM) --listen 127.0.0.1:0 --fleet 50 --op-ms 100 --retry-after-ms 20 --quiet \
	  >$(VG_DIR)/sim.out 2>&1 & sim=$$!; trap 'kill $$sim 2>/dev/null' EXIT; \
	i=0; port=; while [ $$i -lt 100 ] && [ -z "$$port" ]; do sleep 0.05; i=$$((i+1)); \
	  port=$$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' $(VG_DIR)/sim.out); done; \
	export GPUP_ENDPOINT=http://127.0.0.1:$$port GPUP_TOKEN=vg GPUP_SUBSCRIPTION=$(VG_SUB) \
	  HOME=$(abspath $(VG_DIR))/home XDG_STATE_HOME=$(abspath $(VG_DIR))/state NO_COLOR=1; \
	vm=$$($(GPUP) vm list -g ml-rg -o tsv | awk -F'\t' '$$7 == "" {print $$1; exit}'); \
	for args in "vm list -o json" "vm list -o table" "vm show -n $$vm -g ml-rg -o table" \
	  "vm gpu attach --vm-name $$vm -g ml-rg --gpus GpuP --dry-run" \
	  "vm gpu attach --vm-name $$vm -g ml-rg --gpus GpuP --yes -o json" \
	  "vm gpu detach --vm-name $$vm -g ml-rg --yes" "host gpu list -o table" "ops list"; do \
	  $(VG_DIR)/gpup $$args </dev/null >$(VG_DIR)/cmd.out 2>&1 \
	    || { cat $(VG_DIR)/cmd.out; echo "valgrind: gpup $$args FAILED"; exit 1; }; \
	  echo "valgrind: gpup $$args clean"; \
	done; \
	for e in $(VG_E2E); do \
	  GPUP_BIN=$(abspath $(VG_DIR))/gpup E2E_TIMEOUT=60 sh tests/e2e/test_$$e.sh \
	    >$(VG_DIR)/e2e_$$e.out 2>&1 \
	    || { cat $(VG_DIR)/e2e_$$e.out; echo "valgrind: console e2e $$e FAILED"; exit 1; }; \
	  echo "valgrind: console e2e $$e clean ($$(tail -n 1 $(VG_DIR)/e2e_$$e.out))"; \
	done; \
	bad=$$(find $(VG_DIR) -name '*.log' -size +0 | sort); \
	if [ -n "$$bad" ]; then head -n 60 $$bad; echo "valgrind: errors in $$bad"; exit 1; fi; \
	echo "valgrind: $$(ls $(VG_DIR)/gpup.*.log | wc -l) gpup runs and $(words $(VG_TEST_BINS)) test programs clean in $$(( $$(date +%s) - start )) s"

SCAN_BUILD ?= scan-build
SCAN_DIR   := build/scan
SCAN_TESTS := $(patsubst tests/%.c,$(SCAN_DIR)/tests/%,$(UNIT_SRCS) $(INTEG_SRCS))

scan-build:
	$(Q)start=$$(date +%s); \
	if command -v $(SCAN_BUILD) >/dev/null 2>&1; then \
	  rm -rf $(SCAN_DIR) && mkdir -p $(dir $(SCAN_DIR)) && \
	  $(SCAN_BUILD) --status-bugs -o $(SCAN_DIR)/report $(MAKE) --no-print-directory \
	    BUILD=$(SCAN_DIR) OPT="-O0 -g" all $(SCAN_TESTS) >$(SCAN_DIR).log 2>&1; rc=$$?; \
	  grep -E 'warning:|scan-build:' $(SCAN_DIR).log; \
	else \
	  rc=0; for f in $(MODEL_SRCS) $(APP_SRCS) $(SIM_SRCS) $(TSUP_SRCS) sim/main.c \
	    $(wildcard main.c) $(UNIT_SRCS) $(INTEG_SRCS); do \
	    out=$$(clang --analyze -Xanalyzer -analyzer-output=text $(CPPFLAGS) -std=c11 $(WARN) \
	      -o /dev/null $$f 2>&1); \
	    if [ -n "$$out" ]; then echo "$$out"; rc=1; fi; \
	  done; \
	fi; \
	echo "scan-build: $$([ $$rc -eq 0 ] && echo clean || echo FAILED) in $$(( $$(date +%s) - start )) s"; \
	exit $$rc
