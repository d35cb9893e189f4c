/* SPDX-License-Identifier: MIT */
/* Console input for a guest (console_input.c). */
#pragma once
#include "vm.h"

/* Starts the thread that passes what is typed on Keel's console to the VM's UART. 0 or -err. */
int64_t console_input_start(struct vm *vm);
