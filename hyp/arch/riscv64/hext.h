/* SPDX-License-Identifier: MIT */
/* The H extension on riscv64 (hext.c): whether the harts have it, and each hart's set-up. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

extern bool hext_present; /* every hart in the device tree has H: guests can run */
extern bool hext_sstc;    /* and Sstc for VS-mode (henvcfg.STCE sticks): vstimecmp */
/* scounteren and senvcfg as the tasks have them (a guest's own are swapped in, vcpu_hext.c). */
extern uint64_t hext_host_scounteren, hext_host_senvcfg;

/* Reads the harts' ISA strings (boot CPU, before the per-CPU set-up). */
void hext_detect(const void *fdt);
/* This hart's hypervisor CSRs: what guests handle themselves, what they may read. */
void hext_init_cpu(void);
/* Whether every hart's ISA string in the device tree names Sstc (hext_detect, at boot). */
bool hext_dt_sstc(void);
