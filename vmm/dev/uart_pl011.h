/* SPDX-License-Identifier: MIT */
/* The emulated PL011 (dev/uart_pl011.c). */
#pragma once
#include "../vm.h"
#include <stddef.h>

/* A PL011 at d raising the VM's interrupt irq (0: none). Returns 0 or -1 (too many). */
int uart_pl011_create(struct mmio_device *d, struct vm *vm, unsigned irq);
/* Bytes typed for the guest: into the receive FIFO of the VM's first PL011 (vm->console_input,
 * UART's lock held: vm->console_lock). Returns how many were taken. */
size_t uart_pl011_input(struct vm *vm, const char *buf, size_t n);
