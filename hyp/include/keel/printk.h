/* SPDX-License-Identifier: MIT */
/* Kernel console output. */
#pragma once
#include <stdnoreturn.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the message and stops this CPU; for Keel bugs and bad boot configuration only. */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
