/* SPDX-License-Identifier: MIT */
/* Creates the root task from the initrd's "root" ELF file and starts its first thread. */
#pragma once
#include <keel/boot_info.h>

void root_task_start(const struct boot_info *bi);
