// SPDX-License-Identifier: MIT
// Named test steps and their checks (see step.h).
#include "step.h"

unsigned step_count, step_failures;
static const char *name_now;
static bool failed_now;

void step_begin(const char *name)
{
    name_now = name;
    failed_now = false;
    step_count++;
    say("attack: %s\n", name);
}

void step_fail(const char *fmt, ...)
{
    va_list ap;
    say("FAIL: attack: %s: ", name_now);
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    say("\n");
    if (!failed_now) {
        step_failures++;
    }
    failed_now = true;
}

void step_end(void)
{
    if (!failed_now) {
        say("attack: %s: PASS\n", name_now);
    }
}

void step_want(const char *what, uint64_t got, uint64_t expected)
{
    if (got != expected) {
        step_fail("%s is 0x%lx, not 0x%lx", what, (unsigned long)got, (unsigned long)expected);
    }
}
