/* SPDX-License-Identifier: MIT */
/*
 * Named test steps for the test guests: step_begin() prints "attack: <step>", each failed
 * check a "FAIL: attack: <step>: <why>" line (the system test fails on "FAIL:"), step_end()
 * "attack: <step>: PASS" if none failed.
 */
#pragma once
#include "guest.h"

extern unsigned step_count, step_failures;

void step_begin(const char *name);
void step_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void step_end(void);
/* Fails the step unless got == expected, saying what was wrong. */
void step_want(const char *what, uint64_t got, uint64_t expected);
