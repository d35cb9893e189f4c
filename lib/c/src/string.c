// SPDX-License-Identifier: MIT
// Freestanding string and memory functions. Copies go a word at a time when both ends are
// word-aligned (every access stays aligned: safe before the MMU is on and with -mstrict-align).
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
#if defined(__aarch64__)
        /* 64 bytes a round in register pairs: a vCPU's state area (about 600 bytes) is copied
         * in and out on every VM exit. */
        if (n >= 64) {
            size_t rounds = n / 64;
            n %= 64;
            __asm__ volatile("1: ldp x10, x11, [%1], #16\n ldp x12, x13, [%1], #16\n"
                             "   ldp x14, x15, [%1], #16\n ldp x16, x17, [%1], #16\n"
                             "   stp x10, x11, [%0], #16\n stp x12, x13, [%0], #16\n"
                             "   stp x14, x15, [%0], #16\n stp x16, x17, [%0], #16\n"
                             "   subs %2, %2, #1\n b.ne 1b"
                             : "+r"(d), "+r"(s), "+r"(rounds)
                             :
                             : "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "cc",
                               "memory");
        }
#endif
        for (; n >= 32; n -= 32, d += 32, s += 32) {
            uint64_t *dw = (uint64_t *)(void *)d;
            const uint64_t *sw = (const uint64_t *)(const void *)s;
            uint64_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
        }
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
        }
    } else if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
        /* Four-byte aligned (a file in a cpio archive: a VMM's disk image): words of four. */
        for (; n >= 16; n -= 16, d += 16, s += 16) {
            uint32_t *dw = (uint32_t *)(void *)d;
            const uint32_t *sw = (const uint32_t *)(const void *)s;
            uint32_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
        }
    }
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) {
            *d++ = *s++;
        }
    } else {
        while (n--) {
            d[n] = s[n];
        }
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    if (((uintptr_t)d & 7) == 0) {
        uint64_t w = (unsigned char)c * 0x0101010101010101ull;
        for (; n >= 8; n -= 8, d += 8) {
            *(uint64_t *)(void *)d = w;
        }
    }
    while (n--) {
        *d++ = (unsigned char)c;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y) {
            return *x - *y;
        }
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (; n; n--, p++) {
        if (*p == (unsigned char)c) {
            return (void *)(uintptr_t)p;
        }
    }
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++, b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) {
            return (char *)(uintptr_t)s;
        }
        if (!*s) {
            return NULL;
        }
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c) {
            last = s;
        }
        if (!*s) {
            return (char *)(uintptr_t)last;
        }
    }
}

unsigned long strtoul(const char *s, char **end, int base)
{
    unsigned long v = 0;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9') {
            d = *s - '0';
        } else if (*s >= 'a' && *s <= 'z') {
            d = *s - 'a' + 10;
        } else if (*s >= 'A' && *s <= 'Z') {
            d = *s - 'A' + 10;
        } else {
            break;
        }
        if (d >= base) {
            break;
        }
        v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end) {
        *end = (char *)(uintptr_t)s;
    }
    return v;
}

char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++) {
        dst[i] = src[i];
    }
    for (; i < n; i++) {
        dst[i] = '\0';
    }
    return dst;
}
