/* SPDX-License-Identifier: MIT */
/* The emulated PL011 (dev/uart_pl011.c). */
#pragma once
#include "../vm.h"

int uart_pl011_create(struct mmio_device *d, const char *vm_name);
