/* SPDX-License-Identifier: MIT */
/*
 * The real-time guest (rt.c): a bare-metal guest that measures how late its interrupts come, in
 * its own counter. What it needs of its architecture (arm64/, riscv64/, x86_64/) is below: the
 * counter, a one-shot timer, the CPU's interrupt mask, the UART (output, and its transmit
 * interrupt as a device interrupt its VMM raises). The architecture's interrupt entry reads the counter first,
 * acknowledges the interrupt and calls rt_timer_irq() or rt_device_irq() with that time.
 *
 * Interrupts are masked at the CPU except where rt.c opens them; the architecture's start-up
 * calls rt_main() and powers the VM off with its return value as the status.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* rt.c */
int rt_main(void);
void rt_timer_irq(uint64_t entry);
void rt_device_irq(uint64_t entry);
void rt_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The architecture's part. rt_arch_init(): the interrupt controller, timer and UART enabled. */
void rt_arch_init(void);
/* The counter, and its frequency in Hz. */
uint64_t rt_arch_counter(void);
uint64_t rt_arch_counter_freq(void);
/* One timer interrupt once the counter reaches deadline; none after stop. */
void rt_arch_timer_set(uint64_t deadline);
void rt_arch_timer_stop(void);
/* wait: until an interrupt is pending (WFI; it stays masked); window: unmasks, takes what is
 * pending, masks again. */
void rt_arch_wait(void);
void rt_arch_irq_window(void);
void rt_arch_irq_unmask(void);
void rt_arch_irq_mask(void);
/* The UART: one character out; its transmit interrupt on or off (off leaves none pending); a
 * write to its data register that raises that interrupt, returning the counter just before. */
void rt_arch_putc(char c);
void rt_arch_uart_tx_irq(bool on);
uint64_t rt_arch_uart_kick(void);
