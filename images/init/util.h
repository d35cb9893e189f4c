// SPDX-License-Identifier: MIT
// Pure helpers of the guest init (no system calls), unit-tested on the host.
#ifndef KEEL_INIT_UTIL_H
#define KEEL_INIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

// Finds NAME in a kernel command line (space-separated words, NAME or NAME=VALUE) and copies its
// value (empty for a bare NAME) into OUT. Returns 1 if found (the last occurrence wins), 0 if not,
// -1 if the value does not fit.
int cmdline_get(const char *cmdline, const char *name, char *out, size_t outlen);

// Number of CPUs in a sysfs CPU list such as "0-3,5\n"; -1 if it does not parse.
int cpu_list_count(const char *list);

// The Internet checksum (RFC 1071) of N bytes.
uint16_t inet_checksum(const void *data, size_t n);

// Lower-case hex of N bytes into OUT (2 N + 1 bytes).
void hex_string(const uint8_t *data, size_t n, char *out);

// Parses "a.b.c.d/len" (the /len is optional, default 24). Returns 0 on success.
int parse_ipv4_cidr(const char *s, uint32_t *addr_be, unsigned *prefix);

// Scales a counter value at FREQ Hz to nanoseconds without overflowing.
uint64_t ticks_to_ns(uint64_t ticks, uint64_t freq);

#endif
