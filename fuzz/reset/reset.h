/* SPDX-License-Identifier: MIT */
/*
 * Modules that keep their state in file-scope variables (one VM per VMM), compiled here with a
 * way back to their first state: each fuzz input must start from the same state, or a finding
 * would depend on the inputs before it. Each file of fuzz/reset/ includes the module's own
 * source unchanged and adds its reset; a target links that file instead of the module.
 */
#pragma once

void fuzz_reset_uart_ns16550(void);
void fuzz_reset_uart_pl011(void);
void fuzz_reset_sbi(void);
void fuzz_reset_ioapic(void);
void fuzz_reset_ports(void);
void fuzz_reset_virtio_devices(void);
void fuzz_reset_pci_bus(void);
void fuzz_reset_fw_cfg_vm(void);
void fuzz_reset_flash_vm(void);
void fuzz_reset_rtc_pl031(void);
void fuzz_reset_sbsa_gwdt(void);
void fuzz_reset_links(void);
/* All of the above that the architecture's VMM has (reset/platform_<arch>.c). */
void fuzz_reset_platform(void);
