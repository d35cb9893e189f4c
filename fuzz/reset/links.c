// SPDX-License-Identifier: MIT
/* user/root/links.c: the links with its reset (see reset.h). */
#include "../../user/root/links.c"
#include "reset.h"

void fuzz_reset_links(void)
{
    memset(links, 0, sizeof(links));
    link_count = 0;
}
