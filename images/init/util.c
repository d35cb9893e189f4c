// SPDX-License-Identifier: MIT
// Pure helpers of the guest init (no system calls), unit-tested on the host.
#include "util.h"

#include <string.h>

int cmdline_get(const char *cmdline, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    int found = 0;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        size_t wlen = (size_t)(p - w);
        if (wlen < nlen || strncmp(w, name, nlen) != 0)
            continue;
        const char *v;
        size_t vlen;
        if (wlen == nlen) {
            v = w + wlen, vlen = 0;
        } else if (w[nlen] == '=') {
            v = w + nlen + 1, vlen = wlen - nlen - 1;
        } else {
            continue;
        }
        if (vlen + 1 > outlen)
            return -1;
        memcpy(out, v, vlen);
        out[vlen] = '\0';
        found = 1;
    }
    return found;
}

static int parse_uint(const char **pp, unsigned *v)
{
    const char *p = *pp;
    if (*p < '0' || *p > '9')
        return -1;
    unsigned x = 0;
    while (*p >= '0' && *p <= '9') {
        if (x > 100000)
            return -1;
        x = x * 10 + (unsigned)(*p++ - '0');
    }
    *pp = p;
    *v = x;
    return 0;
}

int cpu_list_count(const char *list)
{
    const char *p = list;
    int count = 0;
    for (;;) {
        unsigned a, b;
        if (parse_uint(&p, &a))
            return -1;
        b = a;
        if (*p == '-') {
            p++;
            if (parse_uint(&p, &b) || b < a)
                return -1;
        }
        count += (int)(b - a + 1);
        if (*p == ',') {
            p++;
            continue;
        }
        return (*p == '\0' || *p == '\n') ? count : -1;
    }
}

uint16_t inet_checksum(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (; n >= 2; p += 2, n -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (n)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    // Network byte order in memory, whatever the host's order.
    uint8_t be[2] = {(uint8_t)(c >> 8), (uint8_t)c};
    uint16_t r;
    memcpy(&r, be, 2);
    return r;
}

void hex_string(const uint8_t *data, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * n] = '\0';
}

int parse_ipv4_cidr(const char *s, uint32_t *addr_be, unsigned *prefix)
{
    uint8_t b[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        unsigned v;
        if (parse_uint(&p, &v) || v > 255)
            return -1;
        b[i] = (uint8_t)v;
        if (i < 3 && *p++ != '.')
            return -1;
    }
    unsigned len = 24;
    if (*p == '/') {
        p++;
        if (parse_uint(&p, &len) || len > 32)
            return -1;
    }
    if (*p != '\0')
        return -1;
    memcpy(addr_be, b, 4);
    *prefix = len;
    return 0;
}

uint64_t ticks_to_ns(uint64_t ticks, uint64_t freq)
{
    if (freq == 0)
        return 0;
    return ticks / freq * 1000000000ull + ticks % freq * 1000000000ull / freq;
}
