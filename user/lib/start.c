// SPDX-License-Identifier: MIT
// The C entry of a user program (called by crt0 with a stack): clear nothing (the kernel hands
// out zeroed pages), run main, flush the console, and stop the thread.
#include <keel/rt.h>
#include <keel/sys.h>

void keel_start(void);
void keel_start(void)
{
    main();
    rt_flush();
    for (;;) {
        keel_wait(KEEL_TIMEOUT_NEVER, 0); /* nothing left to do */
    }
}
