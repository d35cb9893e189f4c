/* SPDX-License-Identifier: MIT */
/*
 * The VM as the VMM sees it: its Task (the guest-physical address space), its RAM (backed by the
 * VMM's own memory and mapped into the VM), and the MMIO devices of its device tree.
 * guest_mem_ptr() is the only way VMM code reaches guest memory: every guest-physical range is
 * checked against the RAM map first.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <keel/addr_user.h>

#define VM_MAX_DEVICES 16

struct vm;

struct mmio_device {
    const char *name;
    gpa_t base;
    uint64_t size;
    /* Reads or writes `width` bytes (1, 2, 4, 8) at offset; a read fills *value. Returns false
     * for an access the device does not support (the VMM reports it and the guest goes on). */
    bool (*access)(struct mmio_device *d, uint64_t offset, unsigned width, bool write, uint64_t *value);
    void *state;
};

struct vm {
    uint64_t task;         /* capability of the VM task */
    gpa_t ram_base;
    uint64_t ram_size;
    char *ram;             /* the VMM's view of guest RAM */
    struct mmio_device devices[VM_MAX_DEVICES];
    unsigned device_count;
    const char *name;
    bool off;              /* the guest powered off */
    uint64_t vtimer_exits;
    int64_t exit_status;
};

/* The VMM's pointer for [gpa, gpa + size) of guest RAM, or NULL when any of it is not RAM. */
void *guest_mem_ptr(struct vm *vm, gpa_t gpa, uint64_t size);
/* Backs and maps guest RAM [base, base + size) into the VM task. Returns 0 or -err. */
int64_t vm_ram_create(struct vm *vm, gpa_t base, uint64_t size);
/* The device at gpa, or NULL. */
struct mmio_device *vm_device_at(struct vm *vm, gpa_t gpa);
struct mmio_device *vm_device_add(struct vm *vm, const char *name, gpa_t base, uint64_t size);
