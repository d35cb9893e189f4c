// SPDX-License-Identifier: MIT
// The isolation test's disk: 128 sectors of 512 bytes, byte i of sector s being
// (s * 31 + i * 7 + i / 256) mod 256 (disk_byte() in guest.h). Assembled and turned into a raw
// image (attack-disk.img) that both test guests' virtio-blk devices read.
    .data
    .set    s, 0
    .rept   128
    .set    i, 0
    .rept   512
    .byte   (s * 31 + i * 7 + (i >> 8)) & 0xff
    .set    i, i + 1
    .endr
    .set    s, s + 1
    .endr
