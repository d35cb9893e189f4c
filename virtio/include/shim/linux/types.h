/* SPDX-License-Identifier: MIT */
/*
 * Stands in for <linux/types.h> when virtio/ includes the Linux uapi virtio headers (from Debian's
 * linux-source, see ci/linux-bits): the fixed-width kernel types as C11 <stdint.h> types, so the
 * headers build freestanding and on the host alike. Only virtio/ puts this directory on its
 * include path. The __le and __virtio types are plain integers: Keel's targets are little-endian,
 * as virtio 1.x is (checked in <virtio/uapi.h>).
 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H
#include <stdint.h>

#define __bitwise

typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int8_t __s8;
typedef int16_t __s16;
typedef int32_t __s32;
typedef int64_t __s64;

typedef __u16 __bitwise __le16;
typedef __u32 __bitwise __le32;
typedef __u64 __bitwise __le64;
typedef __u16 __bitwise __be16;
typedef __u32 __bitwise __be32;
typedef __u64 __bitwise __be64;

#endif
