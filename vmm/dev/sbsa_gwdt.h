/* SPDX-License-Identifier: MIT */
/*
 * The Arm SBSA Generic Watchdog (sbsa_gwdt.c), architecture revision 1 (Arm BSA 1.0: a 48-bit
 * offset register), as Linux's sbsa_gwdt driver drives it on arm64 ("arm,sbsa-gwdt"); on
 * riscv64 and x86_64 the same device is Keel's watchdog for guests of the project's own (Linux
 * does not drive it there). Two 4 KiB frames: the control frame (WCS, WOR, WCV, W_IIDR) and the
 * refresh frame (WRR, W_IIDR). It counts on the system counter the guest sees: a refresh (a
 * write of WRR, WOR or WCS) sets WCV = counter + WOR and clears WS0 and WS1; when the counter
 * reaches WCV with EN set, WS0 rises (its interrupt line) and WCV = counter + WOR again; when it
 * reaches WCV a second time, WS1 rises: the VMM resets the VM.
 *
 * The model is pure logic over struct sbsa_gwdt on a counter its caller passes in, host-tested
 * (vmm/tests/test_vmm_sbsa_gwdt.c). The signals are worked out from the counter when the guest
 * accesses the device and when sbsa_gwdt_poll() is called, at the counter value where they
 * came, however late the call: a timeout at counter T happened at T, and a refresh written
 * after T does not undo it. The VMM's device (sbsa_gwdt_from_dt) polls at each access and at
 * the next signal's deadline on its device timer thread (vm_timer.h), so the watchdog barks
 * while the guest spins with interrupts masked or sleeps in WFI.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vm; /* (vm.h: only the device needs it, the model does not) */

#define SBSA_GWDT_FRAME_SIZE 0x1000u /* each frame's window */
/* W_IIDR: product 0 [31:20], architecture revision 1 [19:16], revision 0 [15:12], implementer
 * [11:0] Arm's JEP106 code (bank 4, 0x3b): the value of QEMU's model, which guests on its
 * sbsa-ref board see. */
#define SBSA_GWDT_IIDR 0x0001043bu
#define SBSA_GWDT_WOR_BITS 48 /* revision 1 */
/* The status the VM stops with when a WS1 reset cannot restart it in place (vm_reset). */
#define SBSA_GWDT_RESET_STATUS 87 /* 'W' */

/* sbsa_gwdt_poll()'s signals. */
#define SBSA_GWDT_WS0 1u /* WS0 is asserted: the level of its interrupt line */
#define SBSA_GWDT_WS1 2u /* WS1 has been asserted since the last reset (the reset signal) */

enum sbsa_gwdt_frame { SBSA_GWDT_CONTROL, SBSA_GWDT_REFRESH };

struct sbsa_gwdt {
    bool en;        /* WCS.EN */
    bool ws0, ws1;  /* WCS.WS0, WCS.WS1 */
    bool ws1_fired; /* WS1 rose since the last reset (a refresh clears WCS.WS1, not this) */
    uint64_t wor;   /* WOR: 48 bits */
    uint64_t wcv;   /* WCV */
    uint64_t since; /* the counter at the last write: the compare cannot have fired before */
};

/* Puts w in its reset state at counter now: WCS, WOR and WCV 0 (the watchdog off). */
void sbsa_gwdt_reset(struct sbsa_gwdt *w, uint64_t now);
/* An access of width bytes at offset in frame at counter now; a read fills *value (zero-extended),
 * a write takes its low 32 bits. Registers and reserved offsets answer 32-bit accesses (reserved
 * ones and W_IIDR's writes: RAZ/WI); any other width or alignment is refused (false, nothing
 * changes, *value untouched: the VMM reports it and the guest reads 0). */
bool sbsa_gwdt_access(struct sbsa_gwdt *w, enum sbsa_gwdt_frame frame, uint64_t offset,
                      unsigned width, bool write, uint64_t *value, uint64_t now);
/* The signals at counter now (timeouts up to now included: SBSA_GWDT_*), and in *next the
 * counter value of the next timeout (UINT64_MAX: none; the watchdog off or WS1 asserted). */
unsigned sbsa_gwdt_poll(struct sbsa_gwdt *w, uint64_t now, uint64_t *next);

/* The counter at clock value cycles of a clock of freq Hz: cycles itself when hz is 0 (the
 * counter is that clock), else the clock scaled to hz (with (freq + 1) * hz below 2^64: a clock
 * below 295 GHz at 62.5 MHz). And the first clock value at which the counter has reached count
 * (UINT64_MAX when none comes). */
uint64_t sbsa_gwdt_counter(uint64_t cycles, uint64_t freq, uint64_t hz);
uint64_t sbsa_gwdt_cycles_at(uint64_t count, uint64_t freq, uint64_t hz);

/* The model of an "arm,sbsa-gwdt" node (platform.c's table; one per VM): reg the control frame
 * then the refresh frame (4 KiB each), interrupts (optional) WS0's line, timeout-sec (optional)
 * for the guest's driver. 0, or -1 after saying why. */
int sbsa_gwdt_from_dt(struct vm *vm, const void *fdt, int node);
