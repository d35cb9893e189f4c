// SPDX-License-Identifier: MIT
/* A program's arguments on the host (user/lib/args.c, compiled in here): rt_arg_u64. */
#include "unit.h"
#include "../args.c"

static uint64_t arg(const char *args, const char *name, bool *found)
{
    uint64_t v = 77;
    *found = rt_arg_u64(args, name, &v);
    return v;
}

int main(void)
{
    bool found;
    CHECK_EQ(arg("exit-after 12", "exit-after", &found), 12);
    CHECK(found);
    CHECK_EQ(arg("  a 1 exit-after 0 b", "exit-after", &found), 0);
    CHECK(found);
    CHECK_EQ(arg("exit-after 18446744073709551615", "exit-after", &found), UINT64_MAX);
    CHECK(found);
    arg("exit-after 18446744073709551616", "exit-after", &found); /* too large */
    CHECK(!found);
    arg("exit-after", "exit-after", &found);
    CHECK(!found);
    arg("exit-after x", "exit-after", &found);
    CHECK(!found);
    CHECK_EQ(arg("exit-after 12x", "exit-after", &found), 77); /* not whole: left alone */
    CHECK(!found);
    arg("exit-afterward 12", "exit-after", &found);
    CHECK(!found);
    arg("no-exit-after 12", "exit-after", &found); /* a word, not a part of one */
    CHECK(!found);
    arg("", "exit-after", &found);
    CHECK(!found);
    CHECK_EQ(arg("exit-afterward 3 exit-after 4", "exit-after", &found), 4);
    CHECK(found);
    return unit_done("test_rt_args");
}
