/* SPDX-License-Identifier: MIT */
/* Extended vCPU mode of threads (see uapi/keel/vcpu.h and kern/vcpu_ext.c). */
#pragma once
#include <stdint.h>

struct thread;
struct kobj_msg;

/* Thread VCPU: bind t to a VM task and a state area in its task's UTCB area. */
int64_t vcpu_ext_bind(struct thread *t, struct kobj_msg *m);
/* Thread VCPU_RESUME: t (the caller) runs its guest until an exit for the VMM. */
int64_t vcpu_ext_resume(struct thread *t, struct kobj_msg *m);
/* Thread VCPU_SYNC: the whole vCPU state into the area (see uapi/keel/vcpu.h). */
int64_t vcpu_ext_sync(struct thread *t, struct kobj_msg *m);
/* Drops the VM reference (thread release). */
void vcpu_ext_release(struct thread *t);
