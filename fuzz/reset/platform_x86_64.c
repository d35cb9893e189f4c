// SPDX-License-Identifier: MIT
/* Every file-scope state of the x86_64 VMM's platform back to its start: the UARTs, the virtio
 * devices, the I/O APIC and the I/O-port devices. */
#include "reset.h"

void fuzz_reset_platform(void)
{
    fuzz_reset_uart_ns16550();
    fuzz_reset_uart_pl011();
    fuzz_reset_virtio_devices();
    fuzz_reset_pci_bus();
    fuzz_reset_fw_cfg_vm();
    fuzz_reset_flash_vm();
    fuzz_reset_rtc_pl031();
    fuzz_reset_sbsa_gwdt();
    fuzz_reset_ioapic();
    fuzz_reset_ports();
}
