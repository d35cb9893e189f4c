// SPDX-License-Identifier: MIT
// The kernel object types: one ops table per type, indexed by keel_kobj_type.
#include <keel/kobj.h>

extern const struct kobj_ops task_ops, thread_ops, ipc_gate_ops, irq_ops, factory_ops, icu_ops,
    scheduler_ops, vcon_ops, platform_ops;

static const struct kobj_ops none_ops;

const struct kobj_ops *const kobj_ops_table[KEEL_OBJ_TYPE_COUNT] = {
    [KEEL_OBJ_NONE] = &none_ops,
    [KEEL_OBJ_TASK] = &task_ops,
    [KEEL_OBJ_THREAD] = &thread_ops,
    [KEEL_OBJ_IPC_GATE] = &ipc_gate_ops,
    [KEEL_OBJ_IRQ] = &irq_ops,
    [KEEL_OBJ_FACTORY] = &factory_ops,
    [KEEL_OBJ_ICU] = &icu_ops,
    [KEEL_OBJ_SCHEDULER] = &scheduler_ops,
    [KEEL_OBJ_VCON] = &vcon_ops,
    [KEEL_OBJ_PLATFORM] = &platform_ops,
};
