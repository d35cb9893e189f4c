/* SPDX-License-Identifier: MIT */
/* Unit tests: what the code under test prints between capture_start() and capture_end() (stdout
 * into a temporary file), for tests of console output. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int saved_stdout = -1;
static FILE *captured;

static inline void capture_start(void)
{
    fflush(stdout);
    captured = tmpfile();
    saved_stdout = dup(1);
    if (!captured || saved_stdout < 0 || dup2(fileno(captured), 1) < 0) {
        exit(2);
    }
}

/* Ends the capture; what was printed is in out (NUL-terminated, at most max - 1 bytes). */
static inline size_t capture_end(char *out, size_t max)
{
    fflush(stdout);
    dup2(saved_stdout, 1);
    close(saved_stdout);
    rewind(captured);
    size_t n = fread(out, 1, max - 1, captured);
    out[n] = '\0';
    fclose(captured);
    return n;
}
