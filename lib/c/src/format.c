// SPDX-License-Identifier: MIT
// printf-style formatting over a character sink (see format.h).
#include <format.h>
#include <stdint.h>
#include <stdbool.h>

struct spec {
    bool left;
    bool zero;
    unsigned width;
    unsigned lng; /* 0: int, 1: long, 2: long long, 3: size_t */
};

static size_t emit_padded(format_sink_fn sink, void *ctx, const char *s, size_t len,
                          const struct spec *sp, char pad)
{
    size_t n = 0;
    while (!sp->left && len + n < sp->width) {
        sink(ctx, pad);
        n++;
    }
    for (size_t i = 0; i < len; i++) {
        sink(ctx, s[i]);
    }
    n += len;
    while (sp->left && n < sp->width) {
        sink(ctx, ' ');
        n++;
    }
    return n;
}

static size_t emit_number(format_sink_fn sink, void *ctx, uint64_t v, bool neg, unsigned base,
                          bool upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = digits[v % base];
        v /= base;
    } while (v);
    size_t n = 0;
    if (neg) {
        if (sp->zero && !sp->left) {
            sink(ctx, '-');
            struct spec rest = *sp;
            rest.width = sp->width ? sp->width - 1 : 0;
            return 1 + emit_padded(sink, ctx, tmp + i, sizeof(tmp) - i, &rest, '0');
        }
        tmp[--i] = '-';
    }
    n += emit_padded(sink, ctx, tmp + i, sizeof(tmp) - i, sp, sp->zero && !sp->left ? '0' : ' ');
    return n;
}

static uint64_t arg_unsigned(va_list *ap, unsigned lng)
{
    switch (lng) {
    case 0:
        return va_arg(*ap, unsigned int);
    case 1:
        return va_arg(*ap, unsigned long);
    case 2:
        return va_arg(*ap, unsigned long long);
    default:
        return va_arg(*ap, size_t);
    }
}

static int64_t arg_signed(va_list *ap, unsigned lng)
{
    switch (lng) {
    case 0:
        return va_arg(*ap, int);
    case 1:
        return va_arg(*ap, long);
    case 2:
        return va_arg(*ap, long long);
    default:
        return (int64_t)va_arg(*ap, size_t);
    }
}

size_t format(format_sink_fn sink, void *ctx, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    size_t n = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink(ctx, *fmt);
            n++;
            continue;
        }
        struct spec sp = { 0 };
        for (fmt++;; fmt++) {
            if (*fmt == '-') {
                sp.left = true;
            } else if (*fmt == '0') {
                sp.zero = true;
            } else {
                break;
            }
        }
        while (*fmt >= '0' && *fmt <= '9') {
            sp.width = sp.width * 10 + (unsigned)(*fmt++ - '0');
        }
        while (*fmt == 'l' || *fmt == 'z') {
            sp.lng = *fmt == 'z' ? 3 : sp.lng + 1;
            fmt++;
        }
        switch (*fmt) {
        case 'c': {
            char c = (char)va_arg(ap, int);
            n += emit_padded(sink, ctx, &c, 1, &sp, ' ');
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) {
                s = "(null)";
            }
            size_t len = 0;
            while (s[len]) {
                len++;
            }
            n += emit_padded(sink, ctx, s, len, &sp, ' ');
            break;
        }
        case 'd':
        case 'i': {
            int64_t v = arg_signed(&ap, sp.lng);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            n += emit_number(sink, ctx, mag, v < 0, 10, false, &sp);
            break;
        }
        case 'u':
            n += emit_number(sink, ctx, arg_unsigned(&ap, sp.lng), false, 10, false, &sp);
            break;
        case 'x':
        case 'X':
            n += emit_number(sink, ctx, arg_unsigned(&ap, sp.lng), false, 16, *fmt == 'X', &sp);
            break;
        case 'p':
            sink(ctx, '0');
            sink(ctx, 'x');
            n += 2 + emit_number(sink, ctx, (uintptr_t)va_arg(ap, void *), false, 16, false, &sp);
            break;
        case '%':
            sink(ctx, '%');
            n++;
            break;
        case '\0':
            fmt--; /* a lone '%' at the end: stop at the terminator */
            break;
        default: /* unknown conversion: print it as written */
            sink(ctx, '%');
            sink(ctx, *fmt);
            n += 2;
            break;
        }
    }
    va_end(ap);
    return n;
}

struct buf_sink {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_put(void *ctx, char c)
{
    struct buf_sink *b = ctx;
    if (b->pos + 1 < b->size) {
        b->buf[b->pos] = c;
    }
    b->pos++;
}

size_t vsnformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buf_sink b = { buf, size, 0 };
    size_t n = format(buf_put, &b, fmt, ap);
    if (size) {
        buf[b.pos < size ? b.pos : size - 1] = '\0';
    }
    return n;
}

size_t snformat(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = vsnformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
