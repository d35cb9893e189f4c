/* SPDX-License-Identifier: MIT */
/*
 * printf-style formatting into a character sink; the kernel's printk and the user runtime's printf
 * are both thin wrappers over format(). Supports %c %s %d %i %u %x %X %p %% with the flags '-' and
 * '0', a field width and the length modifiers l, ll, z.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink_fn)(void *ctx, char c);

/* Formats fmt with ap into sink; returns the number of characters produced. */
size_t format(format_sink_fn sink, void *ctx, const char *fmt, va_list ap);

/* Formats into buf (always NUL-terminated when size > 0); returns the untruncated length. */
size_t vsnformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t snformat(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
