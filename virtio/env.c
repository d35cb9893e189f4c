// SPDX-License-Identifier: MIT
/*
 * The library's only calls into the VMM for memory and logging: every guest-physical range goes
 * through virtio_env_gpa() (which refuses ranges that wrap around before asking the VMM), every
 * log line through virtio_env_log() (which bounds how much a guest can make a device say).
 */
#include <virtio/env.h>
#include <format.h>
#include <stdarg.h>

void *virtio_env_gpa(struct virtio_env *env, uint64_t gpa, uint64_t size)
{
    if (size == 0 || gpa + size < gpa) {
        return NULL;
    }
    return env->host.gpa_ptr(env->host.ctx, gpa, size);
}

void virtio_env_log(struct virtio_env *env, const char *fmt, ...)
{
    char line[160];
    if (env->host.log == NULL || env->logs > VIRTIO_LOG_BUDGET) {
        return;
    }
    if (env->logs++ == VIRTIO_LOG_BUDGET) {
        snformat(line, sizeof(line), "%s: further messages suppressed", env->name);
        env->host.log(env->host.ctx, line);
        return;
    }
    size_t n = snformat(line, sizeof(line), "%s: ", env->name);
    if (n < sizeof(line)) {
        va_list ap;
        va_start(ap, fmt);
        vsnformat(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
    }
    env->host.log(env->host.ctx, line);
}
