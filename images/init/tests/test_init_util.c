// SPDX-License-Identifier: MIT
// Host unit test of the guest init's pure helpers: command-line parsing, CPU lists, checksums.
#include "sha256.h"
#include "unit.h"
#include "util.h"

static const char *digest_hex(const void *data, size_t n)
{
    static char hex[65];
    uint8_t d[32];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, data, n);
    sha256_final(&s, d);
    hex_string(d, sizeof d, hex);
    return hex;
}

static void test_sha256(void)
{
    // FIPS 180-4 examples and the padding boundaries (55, 56, 63, 64 bytes).
    CHECK_STR(digest_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(digest_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_STR(digest_hex(two, strlen(two)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char a[64];
    memset(a, 'a', sizeof a);
    CHECK_STR(digest_hex(a, 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    CHECK_STR(digest_hex(a, 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    CHECK_STR(digest_hex(a, 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");

    // One million 'a' fed in uneven pieces gives the same digest as the standard's.
    struct sha256 s;
    uint8_t d[32];
    char hex[65];
    static char m[1000000];
    memset(m, 'a', sizeof m);
    sha256_init(&s);
    for (size_t off = 0, step = 1; off < sizeof m; off += step, step = step * 3 % 1021 + 1)
        sha256_update(&s, m + off, off + step <= sizeof m ? step : sizeof m - off);
    sha256_final(&s, d);
    hex_string(d, sizeof d, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_cmdline(void)
{
    const char *cl = "console=ttyAMA0 keel.test=1 keel.blk=ABC keel.rng keel.test=0 keel.testx=5\n";
    char v[16];
    CHECK_EQ(cmdline_get(cl, "console", v, sizeof v), 1);
    CHECK_STR(v, "ttyAMA0");
    CHECK_EQ(cmdline_get(cl, "keel.test", v, sizeof v), 1);
    CHECK_STR(v, "0"); // the last one wins
    CHECK_EQ(cmdline_get(cl, "keel.rng", v, sizeof v), 1);
    CHECK_STR(v, "");
    CHECK_EQ(cmdline_get(cl, "keel.blk", v, sizeof v), 1);
    CHECK_STR(v, "ABC");
    CHECK_EQ(cmdline_get(cl, "keel.cpus", v, sizeof v), 0);
    CHECK_EQ(cmdline_get(cl, "keel", v, sizeof v), 0); // a prefix is not a name
    CHECK_EQ(cmdline_get(cl, "console", v, 7), -1);  // "ttyAMA0" needs 8 bytes
    CHECK_EQ(cmdline_get("", "x", v, sizeof v), 0);
}

static void test_cpu_list(void)
{
    CHECK_EQ(cpu_list_count("0\n"), 1);
    CHECK_EQ(cpu_list_count("0-1\n"), 2);
    CHECK_EQ(cpu_list_count("0-3,5,7-8"), 7);
    CHECK_EQ(cpu_list_count(""), -1);
    CHECK_EQ(cpu_list_count("3-1"), -1);
    CHECK_EQ(cpu_list_count("0-"), -1);
    CHECK_EQ(cpu_list_count("0,x"), -1);
}

static void test_inet_checksum(void)
{
    // An ICMP echo request whose checksum field is filled in sums to zero.
    uint8_t pkt[12] = {8, 0, 0, 0, 0x4b, 0x45, 0, 1, 'k', 'e', 'e', 'l'};
    uint16_t c = inet_checksum(pkt, sizeof pkt);
    memcpy(pkt + 2, &c, 2);
    CHECK_EQ(inet_checksum(pkt, sizeof pkt), 0);
    // RFC 1071's example bytes: 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d (big endian).
    uint8_t rfc[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    c = inet_checksum(rfc, sizeof rfc);
    CHECK_EQ(((uint8_t *)&c)[0], 0x22);
    CHECK_EQ(((uint8_t *)&c)[1], 0x0d);
    uint8_t odd[3] = {0xff, 0xff, 0x01}; // odd length: the last byte is padded with zero
    c = inet_checksum(odd, sizeof odd);
    CHECK_EQ(((uint8_t *)&c)[0], 0xfe);
    CHECK_EQ(((uint8_t *)&c)[1], 0xff);
}

static void test_ipv4(void)
{
    uint32_t a;
    unsigned len;
    CHECK_EQ(parse_ipv4_cidr("10.0.2.15/24", &a, &len), 0);
    CHECK_EQ(((uint8_t *)&a)[0], 10);
    CHECK_EQ(((uint8_t *)&a)[3], 15);
    CHECK_EQ(len, 24);
    CHECK_EQ(parse_ipv4_cidr("192.168.1.1", &a, &len), 0);
    CHECK_EQ(len, 24);
    CHECK_EQ(parse_ipv4_cidr("10.0.2.256", &a, &len), -1);
    CHECK_EQ(parse_ipv4_cidr("10.0.2", &a, &len), -1);
    CHECK_EQ(parse_ipv4_cidr("10.0.2.1/33", &a, &len), -1);
    CHECK_EQ(parse_ipv4_cidr("10.0.2.1x", &a, &len), -1);
}

static void test_ticks(void)
{
    CHECK_EQ(ticks_to_ns(62500000, 62500000), 1000000000ull);
    CHECK_EQ(ticks_to_ns(3, 62500000), 48);
    CHECK_EQ(ticks_to_ns(654759, 10000000), 65475900);
    CHECK_EQ(ticks_to_ns(1ull << 50, 62500000), (1ull << 50) * 16);
    CHECK_EQ(ticks_to_ns(5, 0), 0);
}

int main(void)
{
    test_sha256();
    test_cmdline();
    test_cpu_list();
    test_inet_checksum();
    test_ipv4();
    test_ticks();
    return unit_done("test_init_util");
}
