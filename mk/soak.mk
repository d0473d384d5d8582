# SPDX-License-Identifier: MIT
# mk/soak.mk: `make soak`, the fault soak of gpup against gpup-sim (tests/soak/soak.sh):
# SOAK_SECONDS (default 120) of concurrent GPU attach/detach cycles under injected faults and
# SIGKILLs, then the journal, request log, partition pool and memory checks.
SOAK_SECONDS ?= 120
SOAK_WORKERS ?= 6

.PHONY: soak
soak: all
	$(Q)$(TEST_ENV) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_WORKERS=$(SOAK_WORKERS) \
	  sh tests/soak/soak.sh
