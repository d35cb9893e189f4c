// SPDX-License-Identifier: MIT
// format(): every conversion, flag and length modifier, truncation, and the character count.
#include "unit.h"
#include <format.h>
#include <stdarg.h>
#include <stdint.h>

static char buf[128];

/* Malformed formats on purpose: a wrapper the compiler's format checking does not see. */
static size_t unchecked(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = vsnformat(out, size, fmt, ap);
    va_end(ap);
    return n;
}

#define FMT(expect, ...)                                                                   \
    do {                                                                                   \
        size_t n_ = snformat(buf, sizeof(buf), __VA_ARGS__);                               \
        CHECK_STR(buf, expect);                                                            \
        CHECK_EQ(n_, strlen(expect));                                                      \
    } while (0)

int main(void)
{
    FMT("plain", "plain");
    FMT("a=42 b=-7 c=0", "a=%d b=%i c=%u", 42, -7, 0u);
    FMT("ff FF 0", "%x %X %x", 255u, 255u, 0u);
    FMT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
    FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
    FMT("123456789012", "%zu", (size_t)123456789012ull);
    FMT("[   7][7   ][0007][-007]", "[%4d][%-4d][%04d][%04d]", 7, 7, 7, -7);
    FMT("[  ab][ab  ]", "[%4s][%-4s]", "ab", "ab");
    CHECK_EQ(unchecked(buf, sizeof(buf), "x%sy", (const char *)NULL), 8);
    CHECK_STR(buf, "x(null)y");
    FMT("0x1000", "%p", (void *)0x1000);
    FMT("c=Z 100%", "c=%c 100%%", 'Z');
    CHECK_EQ(unchecked(buf, sizeof(buf), "%q"), 2);
    CHECK_STR(buf, "%q");
    CHECK_EQ(unchecked(buf, sizeof(buf), "end%"), 3);
    CHECK_STR(buf, "end");

    /* Truncation keeps the terminator and returns the full length. */
    char small[5];
    size_t n = snformat(small, sizeof(small), "%s", "abcdefgh");
    CHECK_STR(small, "abcd");
    CHECK_EQ(n, 8);
    CHECK_EQ(snformat(small, 0, "abc"), 3);
    return unit_done("test_format");
}
