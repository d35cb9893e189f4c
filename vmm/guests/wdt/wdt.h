/* SPDX-License-Identifier: MIT */
/*
 * The watchdog guest (wdt.c): a bare-metal guest of Keel's own that drives the VM's SBSA Generic
 * Watchdog (vmm/dev/sbsa_gwdt.c). It runs on the real-time guest's start-up and link script
 * (../rt/<arch>/start.S, ../rt/rt.ld: .bss cleared, a stack, the vectors; rt_main() is called and
 * its return value is the status the VM powers off with; interrupts go to the architecture's
 * entry (rt_arm64_irq(), rt_riscv64_trap(), x86_64's device vector), which wdt_<arch>.c
 * defines). Its architecture's part is below; the devices sit at the same addresses on all three
 * (dts/vms/wdt-<arch>.dts: on x86_64 between its RAM and the APICs).
 */
#pragma once
#include <stdint.h>

#define WDT_CONTROL 0x09030000ull /* the watchdog's control frame */
#define WDT_REFRESH 0x09040000ull /* its refresh frame */
#define WDT_RTC 0x09010000ull     /* a PL031: its count survives the VM's reset */

/* wdt.c: the guest (start.S calls rt_main()); printf-like output to the UART; the WS0
 * interrupt, with the counter at the handler's entry (interrupts masked). */
int rt_main(void);
void rt_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wdt_ws0_irq(uint64_t entry);

/* The architecture's part (wdt_<arch>.c). init: the UART, and the watchdog's WS0 line enabled at
 * the interrupt controller (the CPU's mask stays set). */
void wdt_arch_init(void);
uint64_t wdt_arch_counter(void);
uint64_t wdt_arch_counter_freq(void);
void wdt_arch_putc(char c);
/* One 32-bit load or store instruction each (the VMM decodes the access from it). */
uint32_t wdt_arch_r32(uint64_t a);
void wdt_arch_w32(uint64_t a, uint32_t v);
/* WFI (interrupts stay masked: it returns once one is pending), then a window that takes it. */
void wdt_arch_wait_and_take(void);
