// SPDX-License-Identifier: MIT
// Busy waits on the 8254 PIT's channel 2 (the speaker channel, gated through port 0x61): the one
// clock of known frequency every PC has, used to calibrate the TSC and the APIC timer and to pace
// the INIT/STARTUP sequence. It counts in the machine's time, so it also holds under -icount.
#include <arch/pio.h>
#include <arch/x86.h>

uint32_t pit_arm_us(unsigned us)
{
    uint32_t count = (uint32_t)((uint64_t)PIT_HZ * us / 1000000);
    count = count < 1 ? 1 : count > 0xffff ? 0xffff : count;
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
    outb(0x43, 0xb0);                                  /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, (uint8_t)count);
    return count;
}

void pit_go(uint32_t count)
{
    outb(0x42, (uint8_t)(count >> 8)); /* counting starts with the high byte */
}

bool pit_done(void)
{
    return inb(0x61) & 0x20; /* OUT2 rises at the terminal count */
}

void pit_finish(void)
{
    while (!pit_done()) {
        __asm__ volatile("pause");
    }
}

void pit_wait_us(unsigned us)
{
    pit_go(pit_arm_us(us));
    pit_finish();
}
