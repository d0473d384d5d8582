/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_vm.c: ARM JSON -> struct vm (one instance and a list page), then back to
 * JSON, which must parse again. Built by `make fuzz` with libFuzzer and replayed by
 * `make check` over tests/fuzz/corpus/vm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gp_error err;
    struct vm vm;
    vm_init(&vm);
    if (vm_from_json(&vm, (const char *)data, size, &err) == GP_OK) {
        char *json = NULL;
        if (vm_to_json(&vm, &json) == GP_OK) {
            struct vm again;
            vm_init(&again);
            /* What we write we must be able to read. */
            if (vm_from_json(&again, json, strlen(json), &err) != GP_OK)
                abort();
            vm_cleanup(&again);
        }
        free(json);
        char summary[64];
        (void)vm_gpu_summary(&vm, true, summary, sizeof summary);
    }
    vm_cleanup(&vm);

    struct vm *vms = NULL;
    size_t count = 0, skipped = 0;
    char *next = NULL;
    if (vm_list_from_json((const char *)data, size, &vms, &count, &next, &skipped, &err) == GP_OK)
        free(next);
    vm_array_free(vms, count);
    return 0;
}
