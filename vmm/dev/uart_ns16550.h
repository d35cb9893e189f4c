/* SPDX-License-Identifier: MIT */
/* The emulated NS16550A UART (dev/uart_ns16550.c). */
#pragma once
#include "../vm.h"
#include <stddef.h>

/* A 16550A at d, registers 1 << reg_shift bytes apart, raising the VM's interrupt irq (0: none).
 * Returns 0 or -1 (too many). */
int uart_ns16550_create(struct mmio_device *d, struct vm *vm, unsigned irq, unsigned reg_shift);
/* Bytes typed for the guest: into the receive FIFO of the VM's first 16550 (vm->console_input,
 * UART's lock held: vm->console_lock). Returns how many were taken. */
size_t uart_ns16550_input(struct vm *vm, const char *buf, size_t n);
