// SPDX-License-Identifier: MIT
/* A program's arguments (keel/rt.h): the words of env->args, as the system tree's `args` says. */
#include <keel/rt.h>
#include <string.h>

bool rt_arg_u64(const char *args, const char *name, uint64_t *value)
{
    size_t n = strlen(name);
    for (const char *p = args; *p;) {
        while (*p == ' ') {
            p++;
        }
        if (strncmp(p, name, n) == 0 && p[n] == ' ' && p[n + 1] >= '0' && p[n + 1] <= '9') {
            uint64_t v = 0;
            for (p += n + 1; *p >= '0' && *p <= '9'; p++) {
                uint64_t digit = (uint64_t)(*p - '0');
                if (v > (UINT64_MAX - digit) / 10) {
                    return false; /* more than 64 bits */
                }
                v = v * 10 + digit;
            }
            if (*p != ' ' && *p != '\0') {
                return false; /* not a whole number */
            }
            *value = v;
            return true;
        }
        while (*p && *p != ' ') {
            p++;
        }
    }
    return false;
}
