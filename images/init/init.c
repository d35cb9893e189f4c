// SPDX-License-Identifier: MIT
// Keel guest init: PID 1 of the guest initramfs (static, glibc), the same source on every
// architecture.
//
// It first prints the guest's own view of time since power-on (the architecture's counter, which
// under QEMU -icount shift=0 counts instructions) as the boot marker, mounts proc, sys and
// devtmpfs, then:
//  - with keel.test=1 on the kernel command line, runs the scripted checks, prints one line per
//    check and a summary, and powers off:
//        KEEL-INIT CHECK <name> PASS|FAIL|SKIP <detail>
//        KEEL-INIT DONE <passed> passed, <failed> failed
//  - first, when the image has /etc/keel-modules (a distribution kernel's image, images/
//    debian-kernel.sh: its virtio drivers are modules), loads the modules it lists, one path a line,
//    dependencies first, and says how that went:
//        KEEL-INIT MODULES <loaded> loaded, <failed> failed
//  - otherwise starts an interactive shell (busybox sh where the image has busybox, else a tiny
//    built-in command loop) and powers off when it exits.
//
// Checks and the command-line words that request them (a check not requested is skipped):
//   cpus  keel.cpus=N                CPUs online == N
//   blk   keel.blk=SHA256 [keel.blkdev=/dev/vda]   the whole disk has that SHA-256
//   rng   keel.rng=1                 the hardware RNG is virtio-rng and /dev/hwrng gives bytes
//   hvc   keel.hvc=1                 /dev/hvc0 (virtio-console) takes a line of text
//   rtc   keel.rtc=1                 /dev/rtc0 reads a date, and its update interrupt comes
//                                    (RTC_UIE_ON: Linux sets the clock's alarm for the next second)
//   net   keel.ping=A.B.C.D keel.ip=A.B.C.D/LEN [keel.netdev=eth0]
//                                    configures the interface, pings the address (raw ICMP socket);
//                                    keel.ip alone: configures it, says SKIP (others ping it)
//   virtio keel.virtio=N             N virtio devices on the virtio bus (/sys/bus/virtio/devices)
//   carrier keel.nocarrier=IFNAME    the interface, brought up, has no carrier (a NIC cabled to
//                                    nothing: virtio-net's status without LINK_UP)
//   keel.hold=SECONDS                after the checks, stay up that long before powering off
//   keel.data=DEV                    (any mode, before the checks or the shell) mounts DEV, an
//                                    ext2 file system, on /data with every write synchronous, and
//                                    counts this boot in /data/boots (the demo's disk that
//                                    persists, docs/getting-started.md):
//                                        KEEL-INIT DATA <dev> on /data: boot <n> of this disk
//   keel.echo=PORT                   while it holds, a TCP echo service on PORT (all addresses):
//                                        KEEL-INIT ECHO listening on tcp port <PORT>
//                                        KEEL-INIT ECHO served <n> bytes to <address>   (each)
//   keel.sink=PORT[,COUNT]           while it holds (keel.hold), a TCP sink on PORT: reads each
//                                    connection to its end, one at a time, and says how long
//                                    that took from its first byte (the guest's clock), then
//                                    closes it; after COUNT connections the hold ends (bench/net.sh):
//                                        KEEL-INIT SINK listening on tcp port <PORT>
//                                        KEEL-INIT SINK received <n> bytes in <ns> ns from <address>
//   keel.source=A.B.C.D:PORT:BYTES   after the net check passed, sends BYTES to a sink there as
//                                    fast as it can (connecting again for up to 20 s while none
//                                    listens) and waits for the sink to close:
//                                        KEEL-INIT SOURCE sent <n> bytes in <ns> ns to <address>
//   keel.rtt=N                       after the net check passed, N more pings, timed:
//                                        KEEL-INIT RTT <got> of <N> answered: min, avg, max (us),
//                                        carrier lost <n> times (meanwhile: the link went down)
//   keel.rtt-wait=SECONDS            sleep that long before the timed pings (keel.rtt)
//   keel.flood=SECONDS               after the net check, sends 1000-byte Ethernet frames to an
//                                    address no VM has (02:4b:45:45:4c:99, ethertype 0x88b5) as
//                                    fast as it can for SECONDS (bench/net-flood.sh):
//                                        KEEL-INIT FLOOD started on <ifname>
//                                        KEEL-INIT FLOOD sent <n> frames in <ms> ms, <e> refused
//   keel.spoof=MAC                   after the net check, sends one broadcast Ethernet frame with
//                                    MAC as its source address (a switch must drop it):
//                                        KEEL-INIT SPOOF sent a frame from <MAC> on <ifname>
//   keel.blkread=1                   times reading the whole disk with O_DIRECT (BLKREAD line)
//   keel.blkbench=DEV[,DEV...]       times reading, then writing and fsyncing each whole disk
//                                    with O_DIRECT (BLKBENCH lines; the disks' data is lost)
//   persist keel.persist=BYTES [keel.blkdev=/dev/vda]
//                                    durability across boots (docs/devices.md): checks what the
//                                    last boot wrote and flushed, writes the next generation
//   keel.dmesg=1                     after the checks, prints the kernel's log buffer (DMESG lines:
//                                    a quiet boot's messages, e.g. initcall_debug's timings)
//   keel.load=1                      after the checks, a CPU and memory load for the benchmarks
//                                    (bench/interference.sh): one worker process per online CPU
//                                    copies a 4 MiB buffer back and forth and mixes a little
//                                    integer work in, for ever; once all run it prints
//                                        KEEL-INIT LOAD <n> workers
//                                    and the init stays up (it never powers off by itself)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/rtc.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "util.h"

#define MARK "KEEL-INIT"

static char cmdline[4096];
static unsigned passed, failed;

// ---------------------------------------------------------------------------------------------
// Time: the architecture's free-running counter (zero at power-on on QEMU virt).

static uint64_t counter_now(void)
{
#if defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
#elif defined(__riscv)
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
#elif defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)); /* zero at power-on on QEMU q35 */
    return (uint64_t)hi << 32 | lo;
#else
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

#if defined(__x86_64__)
/* The TSC's rate as the kernel measured it: /proc/cpuinfo's "cpu MHz" (kHz precision); 0 when
 * it is not there. */
static uint64_t tsc_hz(void)
{
    char buf[4096];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *p = strstr(buf, "cpu MHz");
    p = p ? strchr(p, ':') : NULL;
    if (!p) {
        return 0;
    }
    uint64_t mhz = 0, khz = 0;
    unsigned digits = 0;
    for (p++; *p == ' ' || *p == '\t'; p++) {
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        mhz = mhz * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; digits < 3 && *p >= '0' && *p <= '9'; p++, digits++) {
            khz = khz * 10 + (uint64_t)(*p - '0');
        }
    }
    for (; digits < 3; digits++) {
        khz *= 10;
    }
    return (mhz * 1000 + khz) * 1000;
}
#endif

#if defined(__riscv)
static uint64_t read_be_u32_file(const char *path)
{
    uint8_t b[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    if (n != 4)
        return 0;
    return (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
}
#endif

static uint64_t counter_freq(void)
{
#if defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
#elif defined(__riscv)
    return read_be_u32_file("/sys/firmware/devicetree/base/cpus/timebase-frequency");
#elif defined(__x86_64__)
    return tsc_hz();
#else
    return 1000000000ull;
#endif
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

static int param(const char *name, char *out, size_t outlen)
{
    return cmdline_get(cmdline, name, out, outlen) == 1;
}

static void result(const char *name, int ok, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (ok)
        passed++;
    else
        failed++;
    printf(MARK " CHECK %s %s %s\n", name, ok ? "PASS" : "FAIL", detail);
    fflush(stdout);
}

static void skip(const char *name, const char *why)
{
    printf(MARK " CHECK %s SKIP %s\n", name, why);
    fflush(stdout);
}

// Reads a small text file into BUF without the trailing newline; -1 with errno on failure.
static int read_text(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return -1;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 0;
}

static void mount_fs(const char *src, const char *dir, const char *type)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, 0, NULL) != 0 && errno != EBUSY)
        printf(MARK " WARN mount %s on %s: %s\n", type, dir, strerror(errno));
}

static void power_off(void)
{
    fflush(stdout);
    sync();
    umount("/data"); // (keel.data's, when there: its last writes done; EINVAL otherwise)
    reboot(RB_POWER_OFF);
    printf(MARK " WARN power-off failed: %s\n", strerror(errno));
    for (;;)
        pause();
}

// Loads the kernel modules /etc/keel-modules lists (one path a line, in load order) with
// finit_module; one line per module that fails, then a summary. A module already there counts as
// loaded. Nothing is printed when the image has no such list (the project's kernels have no modules).
static void load_modules(void)
{
    FILE *list = fopen("/etc/keel-modules", "re");
    if (!list)
        return;
    unsigned loaded = 0, bad = 0;
    char path[512];
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\r\n")] = '\0';
        if (!path[0] || path[0] == '#')
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        long r = fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (r == 0 || (fd >= 0 && e == EEXIST)) {
            loaded++;
        } else {
            bad++;
            printf(MARK " MODULE %s FAIL %s: %s\n", path, fd < 0 ? "open" : "finit_module",
                   strerror(e));
        }
    }
    fclose(list);
    printf(MARK " MODULES %u loaded, %u failed\n", loaded, bad);
    fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// The checks.

static void check_cpus(void)
{
    char want[16], online[256];
    if (!param("keel.cpus", want, sizeof want)) {
        skip("cpus", "not requested (keel.cpus=N)");
        return;
    }
    int expected = atoi(want);
    if (read_text("/sys/devices/system/cpu/online", online, sizeof online) != 0) {
        result("cpus", 0, "cannot read /sys/devices/system/cpu/online: %s", strerror(errno));
        return;
    }
    int n = cpu_list_count(online);
    result("cpus", n == expected && expected > 0, "%d online (%s), expected %d", n, online, expected);
}

static void check_blk(void)
{
    char want[80], dev[64] = "/dev/vda";
    if (!param("keel.blk", want, sizeof want)) {
        skip("blk", "not requested (keel.blk=SHA256)");
        return;
    }
    param("keel.blkdev", dev, sizeof dev);
    int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result("blk", 0, "cannot open %s: %s", dev, strerror(errno));
        return;
    }
    static uint8_t buf[65536];
    struct sha256 s;
    uint64_t total = 0, t0 = monotonic_ns();
    sha256_init(&s);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            result("blk", 0, "%s: read error at byte %llu: %s", dev, (unsigned long long)total,
                   strerror(errno));
            close(fd);
            return;
        }
        if (n == 0)
            break;
        sha256_update(&s, buf, (size_t)n);
        total += (uint64_t)n;
    }
    close(fd);
    uint8_t digest[32];
    char got[65];
    sha256_final(&s, digest);
    hex_string(digest, sizeof digest, got);
    for (char *p = want; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    uint64_t us = (monotonic_ns() - t0) / 1000;
    if (strcmp(got, want) == 0)
        result("blk", 1, "%s %llu bytes sha256 %s (%llu us)", dev, (unsigned long long)total, got,
               (unsigned long long)us);
    else
        result("blk", 0, "%s %llu bytes sha256 %s, expected %s", dev, (unsigned long long)total,
               got, want);
}

static void check_rng(void)
{
    char want[8], current[64];
    if (!param("keel.rng", want, sizeof want) || strcmp(want, "0") == 0) {
        skip("rng", "not requested (keel.rng=1)");
        return;
    }
    if (read_text("/sys/class/misc/hw_random/rng_current", current, sizeof current) != 0) {
        result("rng", 0, "no hw_random device: %s", strerror(errno));
        return;
    }
    if (strncmp(current, "virtio", 6) != 0) {
        result("rng", 0, "current hw_random source is '%s', not virtio-rng", current);
        return;
    }
    int fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result("rng", 0, "cannot open /dev/hwrng: %s", strerror(errno));
        return;
    }
    uint8_t a[32], b[32];
    size_t got = 0;
    while (got < sizeof a + sizeof b) {
        ssize_t n = read(fd, got < sizeof a ? a + got : b + (got - sizeof a),
                         got < sizeof a ? sizeof a - got : sizeof b - (got - sizeof a));
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            result("rng", 0, "/dev/hwrng read: %s after %zu bytes", n < 0 ? strerror(errno) : "EOF",
                   got);
            close(fd);
            return;
        }
        got += (size_t)n;
    }
    close(fd);
    // Two blocks of a working source differ and are not constant.
    unsigned distinct = 0;
    uint8_t seen[256] = {0};
    for (size_t i = 0; i < sizeof a; i++)
        distinct += !seen[a[i]]++;
    char hex[17];
    hex_string(a, 8, hex);
    result("rng", memcmp(a, b, sizeof a) != 0 && distinct > 8, "%zu bytes from %s (%u distinct of 32; %s...)",
           got, current, distinct, hex);
}

static void check_hvc(void)
{
    char want[8];
    if (!param("keel.hvc", want, sizeof want) || strcmp(want, "0") == 0) {
        skip("hvc", "not requested (keel.hvc=1)");
        return;
    }
    int fd = open("/dev/hvc0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        result("hvc", 0, "cannot open /dev/hvc0: %s", strerror(errno));
        return;
    }
    struct utsname u;
    uname(&u);
    char line[160];
    int len = snprintf(line, sizeof line, MARK " HVC hello from the %s guest on /dev/hvc0\n", u.machine);
    ssize_t n = write(fd, line, (size_t)len);
    int e = errno;
    close(fd);
    if (n == len)
        result("hvc", 1, "wrote %d bytes to /dev/hvc0", len);
    else
        result("hvc", 0, "write to /dev/hvc0: %s", n < 0 ? strerror(e) : "short write");
}

static int if_setup(const char *ifname, uint32_t addr_be, unsigned prefix, char *err, size_t errlen)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    struct sockaddr_in sin;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = addr_be;
    memcpy(&ifr.ifr_addr, &sin, sizeof sin);
    const char *step = "SIOCSIFADDR";
    if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
        goto fail;
    sin.sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
    memcpy(&ifr.ifr_netmask, &sin, sizeof sin);
    step = "SIOCSIFNETMASK";
    if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
        goto fail;
    step = "SIOCGIFFLAGS";
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        goto fail;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    step = "SIOCSIFFLAGS";
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        goto fail;
    close(s);
    return 0;
fail:
    snprintf(err, errlen, "%s %s: %s", ifname, step, strerror(errno));
    close(s);
    return -1;
}

// How often IFNAME's carrier went down since boot (sysfs carrier_down_count), or -1.
static long carrier_downs(const char *ifname)
{
    char path[96], text[24];
    snprintf(path, sizeof path, "/sys/class/net/%s/carrier_down_count", ifname);
    return read_text(path, text, sizeof text) == 0 ? atol(text) : -1;
}

// Sends ICMP echo requests to DST until one is answered or the tries run out.
static int ping(uint32_t dst_be, char *msg, size_t msglen, uint64_t *rtt_us)
{
    int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (s < 0) {
        snprintf(msg, msglen, "raw ICMP socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = dst_be};
    const uint16_t ident = 0x4b45; // "KE"
    for (uint16_t seq = 1; seq <= 5; seq++) {
        uint8_t pkt[64];
        memset(pkt, 0, sizeof pkt);
        pkt[0] = 8; // echo request
        memcpy(pkt + 4, &(uint16_t){htons(ident)}, 2);
        memcpy(pkt + 6, &(uint16_t){htons(seq)}, 2);
        memcpy(pkt + 8, "keel-init ping payload", 22);
        uint16_t sum = inet_checksum(pkt, sizeof pkt);
        memcpy(pkt + 2, &sum, 2);
        uint64_t t0 = monotonic_ns();
        if (sendto(s, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)sizeof pkt) {
            snprintf(msg, msglen, "sendto: %s", strerror(errno));
            close(s);
            return -1;
        }
        // Wait up to one second for the matching reply (other ICMP traffic is ignored).
        for (;;) {
            uint64_t waited = (monotonic_ns() - t0) / 1000000;
            if (waited >= 1000)
                break;
            struct pollfd pfd = {.fd = s, .events = POLLIN};
            if (poll(&pfd, 1, (int)(1000 - waited)) <= 0)
                continue;
            uint8_t in[1500];
            struct sockaddr_in from;
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(s, in, sizeof in, 0, (struct sockaddr *)&from, &fl);
            if (n < 20)
                continue;
            size_t ihl = (size_t)(in[0] & 15) * 4;
            if ((size_t)n < ihl + 8 || from.sin_addr.s_addr != dst_be)
                continue;
            const uint8_t *icmp = in + ihl;
            if (icmp[0] != 0 || (icmp[4] << 8 | icmp[5]) != ident || (icmp[6] << 8 | icmp[7]) != seq)
                continue;
            if (inet_checksum(icmp, (size_t)n - ihl) != 0) {
                snprintf(msg, msglen, "reply with a bad ICMP checksum");
                continue;
            }
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &from.sin_addr, a, sizeof a);
            *rtt_us = (monotonic_ns() - t0) / 1000;
            snprintf(msg, msglen, "echo reply from %s seq=%u ttl=%u %zd bytes in %llu us", a, seq,
                     in[8], n - (ssize_t)ihl, (unsigned long long)*rtt_us);
            close(s);
            return 0;
        }
    }
    snprintf(msg, msglen, "no echo reply after 5 requests");
    close(s);
    return -1;
}

// keel.rtc=1: the real-time clock as a program uses it (hwclock, rtcwake): its date, then one
// update interrupt, which Linux's RTC core makes from the clock's alarm (on a PC: the CMOS
// clock's IRQ 8), within 3 s.
static void check_rtc(void)
{
    char want[8];
    if (!param("keel.rtc", want, sizeof want) || strcmp(want, "0") == 0) {
        skip("rtc", "not requested (keel.rtc=1)");
        return;
    }
    int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result("rtc", 0, "/dev/rtc0: %s", strerror(errno));
        return;
    }
    struct rtc_time tm;
    if (ioctl(fd, RTC_RD_TIME, &tm) != 0) {
        result("rtc", 0, "RTC_RD_TIME: %s", strerror(errno));
        close(fd);
        return;
    }
    uint64_t t0 = monotonic_ns();
    if (ioctl(fd, RTC_UIE_ON, 0) != 0) {
        result("rtc", 0, "RTC_UIE_ON: %s", strerror(errno));
        close(fd);
        return;
    }
    struct pollfd p = { fd, POLLIN, 0 };
    unsigned long data = 0;
    int ready = poll(&p, 1, 3000);
    ssize_t n = ready == 1 ? read(fd, &data, sizeof data) : -1;
    uint64_t waited = (monotonic_ns() - t0) / 1000000;
    ioctl(fd, RTC_UIE_OFF, 0);
    close(fd);
    result("rtc", n == (ssize_t)sizeof data && (data & RTC_UF),
           "%04d-%02d-%02d %02d:%02d:%02d, update interrupt %s after %llu ms", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           n == (ssize_t)sizeof data ? "came" : "did not come", (unsigned long long)waited);
}

static void check_net(void)
{
    char dst[32], ip[32], ifname[IFNAMSIZ] = "eth0", msg[256];
    int ping_it = param("keel.ping", dst, sizeof dst);
    if (!ping_it && !param("keel.ip", ip, sizeof ip)) {
        skip("net", "not requested (keel.ping=ADDR keel.ip=ADDR/LEN)");
        return;
    }
    uint32_t dst_be = 0, addr_be;
    unsigned prefix, dummy;
    if (ping_it && parse_ipv4_cidr(dst, &dst_be, &dummy) != 0) {
        result("net", 0, "bad keel.ping=%s", dst);
        return;
    }
    if (!param("keel.ip", ip, sizeof ip) || parse_ipv4_cidr(ip, &addr_be, &prefix) != 0) {
        result("net", 0, "keel.ping needs keel.ip=A.B.C.D/LEN");
        return;
    }
    param("keel.netdev", ifname, sizeof ifname);
    if (if_setup(ifname, addr_be, prefix, msg, sizeof msg) != 0) {
        result("net", 0, "%s", msg);
        return;
    }
    if (!ping_it) { // (keel.ip alone: the address is there for others to ping)
        snprintf(msg, sizeof msg, "%s %s is up; nothing to ping (keel.ping)", ifname, ip);
        skip("net", msg);
        return;
    }
    uint64_t us = 0, min = UINT64_MAX, max = 0, sum = 0;
    int r = ping(dst_be, msg, sizeof msg, &us);
    result("net", r == 0, "%s %s: %s", ifname, ip, msg);
    // keel.rtt=N: N more pings once the address is resolved, their round trips (guest clock).
    char count[16];
    int n = param("keel.rtt", count, sizeof count) && r == 0 ? atoi(count) : 0, got = 0;
    long downs_before = carrier_downs(ifname); // (the count since boot: Linux adds its own)
    if (n > 0 && param("keel.rtt-wait", count, sizeof count))
        sleep((unsigned)atoi(count));
    for (int i = 0; i < n; i++) {
        if (ping(dst_be, msg, sizeof msg, &us) == 0) {
            got++;
            sum += us;
            min = us < min ? us : min;
            max = us > max ? us : max;
        }
    }
    long lost = downs_before >= 0 ? carrier_downs(ifname) - downs_before : -1;
    if (n > 0)
        printf(MARK " RTT %d of %d answered: min %llu us, avg %llu us, max %llu us, carrier lost "
                    "%ld times\n",
               got, n, (unsigned long long)(got ? min : 0),
               (unsigned long long)(got ? sum / got : 0), (unsigned long long)max, lost);
}

// keel.spoof=MAC: one broadcast frame whose source address is MAC (a packet socket writes the
// Ethernet header as given), ethertype 0x88b5 (IEEE local experimental).
static void spoof(void)
{
    char mac_s[32], ifname[IFNAMSIZ] = "eth0";
    unsigned m[6];
    if (!param("keel.spoof", mac_s, sizeof mac_s))
        return;
    param("keel.netdev", ifname, sizeof ifname);
    if (sscanf(mac_s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
        printf(MARK " SPOOF bad keel.spoof=%s\n", mac_s);
        return;
    }
    uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    for (int i = 0; i < 6; i++)
        f[6 + i] = (uint8_t)m[i];
    f[12] = 0x88;
    f[13] = 0xb5;
    memcpy(f + 14, "keel spoofed frame", 18);
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    struct sockaddr_ll to = { .sll_family = AF_PACKET,
                              .sll_ifindex = (int)if_nametoindex(ifname),
                              .sll_halen = 6 };
    memcpy(to.sll_addr, f, 6);
    ssize_t n = s < 0 ? -1 : sendto(s, f, sizeof f, 0, (struct sockaddr *)&to, sizeof to);
    printf(MARK " SPOOF %s a frame from %s on %s%s%s\n",
           n == (ssize_t)sizeof f ? "sent" : "could not send", mac_s, ifname,
           n == (ssize_t)sizeof f ? "" : ": ", n == (ssize_t)sizeof f ? "" : strerror(errno));
    if (s >= 0)
        close(s);
}

// keel.flood=SECONDS: frames as fast as the interface takes them, to a unicast address no VM
// has (the switch takes each and drops it: its work, nobody's ring), from the interface's own.
static void flood(void)
{
    char secs[16], ifname[IFNAMSIZ] = "eth0";
    if (!param("keel.flood", secs, sizeof secs))
        return;
    param("keel.netdev", ifname, sizeof ifname);
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) != 0) {
        printf(MARK " FLOOD cannot: %s\n", strerror(errno));
        if (s >= 0)
            close(s);
        return;
    }
    uint8_t f[1000] = { 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x99 };
    memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    struct sockaddr_ll to = { .sll_family = AF_PACKET,
                              .sll_ifindex = (int)if_nametoindex(ifname),
                              .sll_halen = 6 };
    memcpy(to.sll_addr, f, 6);
    printf(MARK " FLOOD started on %s\n", ifname);
    fflush(stdout);
    uint64_t t0 = monotonic_ns(), end = t0 + (uint64_t)atoi(secs) * 1000000000ull, sent = 0,
             refused = 0;
    while (monotonic_ns() < end) {
        if (sendto(s, f, sizeof f, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)sizeof f)
            sent++;
        else
            refused++;
    }
    printf(MARK " FLOOD sent %llu frames in %llu ms, %llu refused\n", (unsigned long long)sent,
           (unsigned long long)((monotonic_ns() - t0) / 1000000), (unsigned long long)refused);
    close(s);
}

// A TCP socket listening on PORT (any address), or -1 after saying why; WHAT names the service in
// what it says (ECHO, SINK).
static int tcp_listen(unsigned port, const char *what)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int one = 1;
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0) {
        printf(MARK " %s cannot listen on tcp port %u: %s\n", what, port, strerror(errno));
        fflush(stdout);
        if (l >= 0)
            close(l);
        return -1;
    }
    printf(MARK " %s listening on tcp port %u\n", what, port);
    fflush(stdout);
    return l;
}

// The next connection to L before END (monotonic ns), with its address in FROM; -1 after END.
static int tcp_accept_before(int l, uint64_t end, struct sockaddr_in *from)
{
    for (uint64_t now; (now = monotonic_ns()) < end;) {
        struct pollfd p = { .fd = l, .events = POLLIN };
        if (poll(&p, 1, (int)((end - now) / 1000000) + 1) <= 0)
            continue;
        socklen_t fl = sizeof *from;
        int c = accept4(l, (struct sockaddr *)from, &fl, SOCK_CLOEXEC);
        if (c >= 0)
            return c;
    }
    return -1;
}

// keel.echo=PORT: a TCP echo service for SECONDS (keel.hold), one connection at a time: what a
// test on the host reaches through the board's NIC (QEMU's user networking, a host forward).
static void echo_serve(const char *port, unsigned seconds)
{
    int l = tcp_listen((unsigned)atoi(port), "ECHO");
    if (l < 0) {
        sleep(seconds);
        return;
    }
    uint64_t end = monotonic_ns() + (uint64_t)seconds * 1000000000ull;
    struct sockaddr_in from;
    int c;
    while ((c = tcp_accept_before(l, end, &from)) >= 0) {
        size_t total = 0;
        char buf[4096];
        for (;;) {
            struct pollfd q = { .fd = c, .events = POLLIN };
            if (poll(&q, 1, 5000) <= 0)
                break; // (a peer that says nothing for 5 s: done with it)
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0 || write(c, buf, (size_t)n) != n)
                break;
            total += (size_t)n;
        }
        close(c);
        char who[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, who, sizeof who);
        printf(MARK " ECHO served %zu bytes to %s\n", total, who);
        fflush(stdout);
    }
    close(l);
}

// keel.sink=PORT[,COUNT]: reads connections to their end, one at a time, for the benchmarks
// (bench/net.sh); the time runs from a connection's first byte to its end, so a connection that
// waited in the backlog is not charged for it, nor the handshake.
static void sink_serve(const char *spec, unsigned seconds)
{
    unsigned port = 0, count = 0;
    sscanf(spec, "%u,%u", &port, &count);
    int l = tcp_listen(port, "SINK");
    if (l < 0)
        return;
    static char buf[65536];
    uint64_t end = monotonic_ns() + (uint64_t)seconds * 1000000000ull;
    unsigned served = 0;
    struct sockaddr_in from;
    int c;
    while ((count == 0 || served < count) && (c = tcp_accept_before(l, end, &from)) >= 0) {
        uint64_t total = 0, t0 = 0;
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0) {
            if (total == 0)
                t0 = monotonic_ns();
            total += (uint64_t)n;
        }
        uint64_t ns = total ? monotonic_ns() - t0 : 0;
        close(c);
        served++;
        char who[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, who, sizeof who);
        printf(MARK " SINK received %llu bytes in %llu ns from %s%s\n", (unsigned long long)total,
               (unsigned long long)ns, who, n < 0 ? " (read error)" : "");
        fflush(stdout);
    }
    close(l);
}

// keel.source=A.B.C.D:PORT:BYTES: sends BYTES to a sink (the other VM's keel.sink), timed from
// the connection to the sink's close, which comes once it has read every byte.
static void source_send(void)
{
    char spec[64], addr_s[32];
    unsigned port;
    unsigned long long bytes;
    if (!param("keel.source", spec, sizeof spec))
        return;
    struct sockaddr_in to = { .sin_family = AF_INET };
    if (sscanf(spec, "%31[0-9.]:%u:%llu", addr_s, &port, &bytes) != 3 ||
        inet_pton(AF_INET, addr_s, &to.sin_addr) != 1) {
        printf(MARK " SOURCE bad keel.source=%s\n", spec);
        return;
    }
    to.sin_port = htons((uint16_t)port);
    int s = -1;
    for (int tries = 0; tries < 200; tries++) { // (the sink's VM may still be booting)
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s >= 0 && connect(s, (struct sockaddr *)&to, sizeof to) == 0)
            break;
        if (s >= 0)
            close(s);
        s = -1;
        usleep(100000);
    }
    if (s < 0) {
        printf(MARK " SOURCE cannot connect to %s: %s\n", spec, strerror(errno));
        fflush(stdout);
        return;
    }
    static char buf[65536];
    memset(buf, 0x5a, sizeof buf);
    uint64_t sent = 0, t0 = monotonic_ns();
    while (sent < bytes) {
        size_t len = bytes - sent < sizeof buf ? (size_t)(bytes - sent) : sizeof buf;
        ssize_t n = write(s, buf, len);
        if (n <= 0)
            break;
        sent += (uint64_t)n;
    }
    shutdown(s, SHUT_WR);
    while (read(s, buf, sizeof buf) > 0)
        ;
    uint64_t ns = monotonic_ns() - t0;
    close(s);
    printf(MARK " SOURCE sent %llu bytes in %llu ns to %s%s\n", (unsigned long long)sent,
           (unsigned long long)ns, addr_s, sent < bytes ? " (short)" : "");
    fflush(stdout);
}

static void check_virtio(void)
{
    char want[16];
    if (!param("keel.virtio", want, sizeof want)) {
        skip("virtio", "not requested (keel.virtio=N)");
        return;
    }
    DIR *d = opendir("/sys/bus/virtio/devices");
    if (!d) {
        result("virtio", 0, "/sys/bus/virtio/devices: %s", strerror(errno));
        return;
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    result("virtio", n == atoi(want), "%d devices, expected %s", n, want);
}

static void check_carrier(void)
{
    char ifname[IFNAMSIZ], path[64], carrier[16];
    if (!param("keel.nocarrier", ifname, sizeof ifname)) {
        skip("carrier", "not requested (keel.nocarrier=IFNAME)");
        return;
    }
    // The carrier reads only on an interface that is up.
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    up = up && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    int e = errno;
    if (s >= 0)
        close(s);
    if (!up) {
        result("carrier", 0, "%s: cannot bring it up: %s", ifname, strerror(e));
        return;
    }
    snprintf(path, sizeof path, "/sys/class/net/%s/carrier", ifname);
    if (read_text(path, carrier, sizeof carrier) != 0) {
        result("carrier", 0, "%s: %s", path, strerror(errno));
        return;
    }
    result("carrier", strcmp(carrier, "0") == 0, "%s up, carrier %s", ifname, carrier);
}

// keel.blkread=1: the time to read the whole disk with O_DIRECT (no page cache, no hashing), for
// the benchmarks (under -icount shift=0 a nanosecond is an instruction).
static void blk_read_timing(void)
{
    char want[8], dev[64] = "/dev/vda";
    if (!param("keel.blkread", want, sizeof want))
        return;
    param("keel.blkdev", dev, sizeof dev);
    static uint8_t buf[65536] __attribute__((aligned(4096)));
    int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) {
        printf(MARK " BLKREAD cannot open %s: %s\n", dev, strerror(errno));
        return;
    }
    uint64_t total = 0, t0 = monotonic_ns();
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += (uint64_t)n;
    uint64_t ns = monotonic_ns() - t0;
    close(fd);
    printf(MARK " BLKREAD %llu bytes %llu ns%s\n", (unsigned long long)total, (unsigned long long)ns,
           n < 0 ? " (read error)" : "");
}

// keel.blkbench=DEV[,DEV...]: for each disk, the time to read all of it, then to write all of it,
// with O_DIRECT in 64 KiB requests, then to fsync it (a FLUSH), for the benchmarks (bench/blk.sh):
//     KEEL-INIT BLKBENCH <dev> read|write <bytes> bytes <ns> ns
//     KEEL-INIT BLKBENCH <dev> fsync <ns> ns
// What the disks held is lost.
static void blk_bench_one(const char *dev, int write_it)
{
    static uint8_t buf[65536] __attribute__((aligned(4096)));
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    int fd = open(dev, (write_it ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
    uint64_t size = 0;
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) != 0) {
        printf(MARK " BLKBENCH %s cannot open it: %s\n", dev, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    uint64_t total = 0, t0 = monotonic_ns();
    ssize_t n = 0;
    while (total < size) {
        size_t len = size - total < sizeof buf ? (size_t)(size - total) : sizeof buf;
        n = write_it ? pwrite(fd, buf, len, (off_t)total) : pread(fd, buf, len, (off_t)total);
        if (n <= 0)
            break;
        total += (uint64_t)n;
    }
    uint64_t ns = monotonic_ns() - t0;
    printf(MARK " BLKBENCH %s %s %llu bytes %llu ns%s\n", dev, write_it ? "write" : "read",
           (unsigned long long)total, (unsigned long long)ns, n < 0 ? " (I/O error)" : "");
    if (write_it) {
        t0 = monotonic_ns();
        int synced = fsync(fd);
        printf(MARK " BLKBENCH %s fsync %llu ns%s\n", dev,
               (unsigned long long)(monotonic_ns() - t0), synced != 0 ? " (I/O error)" : "");
    }
    close(fd);
}

static void blk_bench(void)
{
    char list[256];
    if (!param("keel.blkbench", list, sizeof list))
        return;
    for (char *save = NULL, *dev = strtok_r(list, ",", &save); dev;
         dev = strtok_r(NULL, ",", &save)) {
        blk_bench_one(dev, 0);
        blk_bench_one(dev, 1);
    }
    fflush(stdout);
}

// keel.persist=BYTES: durability across boots. The disk holds a text header in its first sector,
//     KEEL-PERSIST 1 generation=<g> bytes=<n> sha256=<hex of the data>
// and two data areas of BYTES each after the first 4 KiB; generation g lives in area g % 2. First
// the generation the header names, if any, is read back and checked against its hash (the last
// boot wrote and flushed it: it must be there, whatever ended that boot); then generation g + 1
// is written into the other area and fsync'ed (Linux sends the device a FLUSH), then the header
// naming it, fsync'ed again, and only then
//     KEEL-INIT PERSIST WROTE generation <g+1> <n> bytes sha256 <hex> synced
// is printed. A kill at any point leaves a header whose area was flushed before it was named.
// (sync(2) would not do on a raw device: Linux flushes a disk's write cache on fsync of the
// device, or through a file system's sync; sync(2) of a device no file system is on writes its
// dirty pages but sends no FLUSH.) ci/blk_durability.py checks the same on the host.
#define PERSIST_AREA 4096u

static void persist_fill(uint8_t *p, size_t n, uint64_t generation)
{
    uint64_t x = generation * 0x9e3779b97f4a7c15ull + 0x4b45454c; // "KEEL"
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
}

static int persist_io(int fd, int write_it, void *p, size_t n, uint64_t off)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = write_it ? pwrite(fd, (uint8_t *)p + done, n - done, (off_t)(off + done))
                             : pread(fd, (uint8_t *)p + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

// A read, or a write and fsync, tried again (up to 50 times, 100 ms apart) while it fails with
// EIO: a disk whose driver restarts answers IOERR meanwhile, and Linux does not try again
// itself; after a failed fsync the pages it could not write are no longer dirty, so the write is
// made again, not only the fsync. Each try is said:
//     KEEL-INIT PERSIST I/O error (<what> at byte <n>): <error>; trying again
static int persist_step(int fd, int write_it, void *p, size_t n, uint64_t off)
{
    for (unsigned tries = 0;; tries++) {
        int r = persist_io(fd, write_it, p, n, off);
        if (r == 0 && write_it)
            r = fsync(fd);
        if (r == 0 || errno != EIO || tries == 50)
            return r;
        printf(MARK " PERSIST I/O error (%s at byte %llu): %s; trying again\n",
               write_it ? "write and fsync" : "read", (unsigned long long)off, strerror(errno));
        fflush(stdout);
        usleep(100000);
    }
}

static void check_persist(void)
{
    char want[24], dev[64] = "/dev/vda", got[65], header[512];
    if (!param("keel.persist", want, sizeof want)) {
        skip("persist", "not requested (keel.persist=BYTES)");
        return;
    }
    param("keel.blkdev", dev, sizeof dev);
    uint64_t bytes = strtoull(want, NULL, 0), size = 0;
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) != 0 || bytes == 0 ||
        PERSIST_AREA + 2 * bytes > size) {
        result("persist", 0, "%s (%llu bytes): cannot hold 2 areas of %s bytes: %s", dev,
               (unsigned long long)size, want, fd < 0 ? strerror(errno) : "too small");
        if (fd >= 0)
            close(fd);
        return;
    }
    uint8_t *data = malloc(bytes);
    uint8_t digest[32];
    struct sha256 s;
    unsigned long long gen = 0, had = 0;
    if (!data || persist_step(fd, 0, header, sizeof header, 0) != 0) {
        result("persist", 0, "%s: cannot read its header: %s", dev, strerror(errno));
        goto out;
    }
    header[sizeof header - 1] = '\0';
    char hash[65] = "";
    if (sscanf(header, "KEEL-PERSIST 1 generation=%llu bytes=%llu sha256=%64s", &gen, &had, hash) ==
        3) {
        if (had != bytes ||
            persist_step(fd, 0, data, bytes, PERSIST_AREA + (gen % 2) * bytes) != 0) {
            result("persist", 0, "generation %llu: %llu bytes (want %llu) or a read error: %s", gen,
                   had, (unsigned long long)bytes, strerror(errno));
            goto out;
        }
        sha256_init(&s);
        sha256_update(&s, data, bytes);
        sha256_final(&s, digest);
        hex_string(digest, sizeof digest, got);
        result("persist", strcmp(got, hash) == 0,
               "generation %llu read back: %llu bytes sha256 %s%s%s", gen, had, got,
               strcmp(got, hash) == 0 ? "" : ", the header says ",
               strcmp(got, hash) == 0 ? "" : hash);
    } else {
        gen = 0;
        printf(MARK " PERSIST %s holds no generation yet\n", dev);
    }
    gen++;
    persist_fill(data, bytes, gen);
    sha256_init(&s);
    sha256_update(&s, data, bytes);
    sha256_final(&s, digest);
    hex_string(digest, sizeof digest, got);
    memset(header, 0, sizeof header);
    snprintf(header, sizeof header, "KEEL-PERSIST 1 generation=%llu bytes=%llu sha256=%s\n", gen,
             (unsigned long long)bytes, got);
    if (persist_step(fd, 1, data, bytes, PERSIST_AREA + (gen % 2) * bytes) != 0 ||
        persist_step(fd, 1, header, sizeof header, 0) != 0) {
        result("persist", 0, "generation %llu: write or fsync: %s", gen, strerror(errno));
        goto out;
    }
    printf(MARK " PERSIST WROTE generation %llu %llu bytes sha256 %s synced\n", gen,
           (unsigned long long)bytes, got);
    fflush(stdout);
out:
    free(data);
    close(fd);
}

// keel.dmesg=1: the kernel's log as it holds it, each line prefixed, after the checks (a boot
// with `quiet` kept its messages out of the console, whose output costs time in a VM).
static void print_kernel_log(void)
{
    static char log[1 << 20];
    char flag[4];
    if (!param("keel.dmesg", flag, sizeof flag) || strcmp(flag, "1") != 0) {
        return;
    }
    int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, (int)sizeof log - 1);
    if (n < 0) {
        printf(MARK " DMESG (the kernel's log cannot be read: %s)\n", strerror(errno));
        return;
    }
    log[n] = 0;
    for (char *line = log, *end; *line; line = end) {
        end = strchrnul(line, '\n');
        printf(MARK " DMESG %.*s\n", (int)(end - line), line);
        end += *end == '\n';
    }
    fflush(stdout);
}

// keel.load=1: the noisy neighbour of the interference benchmark. Each worker owns two buffers
// of LOAD_BYTES (larger than the last-level caches of the boards Keel runs on; QEMU models
// none), copies one into the other and back, and between copies folds a word of each cache line
// of one into a checksum (integer work; the result is kept so that the compiler leaves the loop
// in). Each says it is ready on a pipe once its buffers are written, so that the marker comes
// with the load already running.
#define LOAD_BYTES (4u << 20)

static void load_worker(int ready)
{
    uint64_t *a = malloc(LOAD_BYTES), *b = malloc(LOAD_BYTES);
    if (!a || !b) {
        printf(MARK " LOAD worker %d: no memory for 2 x %u bytes\n", getpid(), LOAD_BYTES);
        _exit(1);
    }
    for (size_t i = 0; i < LOAD_BYTES / sizeof *a; i++)
        a[i] = i * 0x9e3779b97f4a7c15ull;
    memset(b, 0, LOAD_BYTES);
    char c = 1;
    if (write(ready, &c, 1) != 1)
        _exit(1);
    close(ready);
    volatile uint64_t sink = 0;
    for (uint64_t x = 1;;) {
        memcpy(b, a, LOAD_BYTES);
        memcpy(a, b, LOAD_BYTES);
        for (size_t i = 0; i < LOAD_BYTES / sizeof *a; i += 8) {
            x ^= a[i] + (x << 7) + (x >> 3);
            x *= 0xff51afd7ed558ccdull;
        }
        sink = x;
    }
    (void)sink;
}

static void load(void)
{
    char want[8];
    if (!param("keel.load", want, sizeof want) || strcmp(want, "0") == 0)
        return;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int fds[2];
    if (cpus < 1)
        cpus = 1;
    if (pipe(fds) != 0) {
        printf(MARK " LOAD cannot make a pipe: %s\n", strerror(errno));
        return;
    }
    fflush(stdout);
    long started = 0;
    for (long i = 0; i < cpus; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            load_worker(fds[1]);
        }
        started += pid > 0;
    }
    close(fds[1]);
    char c;
    long ready = 0;
    while (ready < started && read(fds[0], &c, 1) == 1)
        ready++;
    close(fds[0]);
    printf(MARK " LOAD %ld workers\n", ready);
    fflush(stdout);
    for (;;) { // PID 1 stays: it reaps what ends and never powers off
        int status;
        if (waitpid(-1, &status, 0) < 0)
            pause();
    }
}

static void run_checks(void)
{
    passed = failed = 0;
    check_cpus();
    check_blk();
    blk_read_timing();
    blk_bench();
    check_persist();
    check_rng();
    check_hvc();
    check_rtc();
    check_net();
    spoof();
    source_send();
    flood();
    check_virtio();
    check_carrier();
    printf(MARK " DONE %u passed, %u failed\n", passed, failed);
    fflush(stdout);
    print_kernel_log();
    char hold[16], port[16];
    if (param("keel.hold", hold, sizeof hold)) {
        if (param("keel.sink", port, sizeof port))
            sink_serve(port, (unsigned)atoi(hold));
        else if (param("keel.echo", port, sizeof port))
            echo_serve(port, (unsigned)atoi(hold));
        else
            sleep((unsigned)atoi(hold)); // peers may still be talking to us (two VMs pinging)
    }
}

// ---------------------------------------------------------------------------------------------
// Interactive mode.

static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setsid();
        ioctl(0, TIOCSCTTY, 1);
        execv(argv[0], argv);
        fprintf(stderr, MARK " exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(-1, &status, 0) != pid) // reaps orphans too
        ;
    return status;
}

static void list_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("ls: %s: %s\n", dir, strerror(errno));
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            printf("%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
    closedir(d);
}

// Without busybox (riscv64: Debian has no busybox for it) a few commands are built in.
static void mini_shell(void)
{
    char line[256];
    printf(MARK " SHELL built in (no busybox on this image): check, ls DIR, cat FILE, cmdline, "
                "poweroff (leaving the shell powers off)\n");
    for (;;) {
        printf("keel-init# ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin))
            return;
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "check") == 0) {
            run_checks();
        } else if (strncmp(line, "cat ", 4) == 0) {
            FILE *f = fopen(line + 4, "r");
            if (!f) {
                printf("cat: %s: %s\n", line + 4, strerror(errno));
                continue;
            }
            int c;
            while ((c = fgetc(f)) != EOF)
                putchar(c);
            fclose(f);
        } else if (strcmp(line, "cmdline") == 0) {
            printf("%s\n", cmdline);
        } else if (strncmp(line, "ls", 2) == 0) {
            list_dir(line[2] ? line + 3 : "/");
        } else if (strcmp(line, "poweroff") == 0 || strcmp(line, "exit") == 0) {
            return;
        } else if (line[0]) {
            printf("unknown command '%s' (check, ls DIR, cat FILE, cmdline, poweroff)\n", line);
        }
    }
}

static void interactive(void)
{
    if (access("/bin/busybox", X_OK) == 0) {
        char *install[] = {(char *)"/bin/busybox", (char *)"--install", (char *)"-s", (char *)"/bin", NULL};
        run(install);
        printf(MARK " SHELL busybox sh (leaving the shell powers off)\n");
        fflush(stdout);
        char *sh[] = {(char *)"/bin/sh", NULL};
        setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
        setenv("HOME", "/", 1);
        setenv("TERM", "vt100", 1);
        run(sh);
    } else {
        mini_shell();
    }
}

// keel.data=DEV: a disk that outlives the run (make run's, on the board's disk through the block
// driver): mounted on /data with MS_SYNCHRONOUS | MS_DIRSYNC, so that what a program wrote there
// is on the disk when its write returns (ext2 has no journal; a run ended with Ctrl-A X then
// loses nothing written), and this boot counted in /data/boots (fsync'ed).
static void data_disk(void)
{
    char dev[64], text[32] = "";
    if (!param("keel.data", dev, sizeof dev))
        return;
    mkdir("/data", 0755);
    if (mount(dev, "/data", "ext2", MS_SYNCHRONOUS | MS_DIRSYNC | MS_NOATIME, NULL) != 0) {
        printf(MARK " DATA %s: cannot mount it (ext2) on /data: %s\n", dev, strerror(errno));
        return;
    }
    unsigned long boots = 0;
    if (read_text("/data/boots", text, sizeof text) == 0)
        boots = strtoul(text, NULL, 10);
    int fd = open("/data/boots", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int len = snprintf(text, sizeof text, "%lu\n", boots + 1);
    if (fd < 0 || write(fd, text, (size_t)len) != len || fsync(fd) != 0) {
        printf(MARK " DATA %s: cannot write /data/boots: %s\n", dev, strerror(errno));
    } else {
        printf(MARK " DATA %s on /data: boot %lu of this disk\n", dev, boots + 1);
    }
    if (fd >= 0)
        close(fd);
    fflush(stdout);
}

int main(void)
{
    // The boot marker comes first: the counter is read before anything else happens.
    uint64_t ticks = counter_now();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getpid() != 1) {
        fprintf(stderr, "keel-init: must run as PID 1\n");
        return 2;
    }
    mount_fs("proc", "/proc", "proc");
    mount_fs("sysfs", "/sys", "sysfs");
    mount_fs("devtmpfs", "/dev", "devtmpfs");
    uint64_t freq = counter_freq();
    printf(MARK " START counter=%llu freq=%llu ns=%llu uptime_ns=%llu\n", (unsigned long long)ticks,
           (unsigned long long)freq, (unsigned long long)ticks_to_ns(ticks, freq),
           (unsigned long long)monotonic_ns());
    /* The wall clock as the kernel took it at boot (x86: the CMOS clock; 0 where none). */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    printf(MARK " CLOCK realtime=%lld\n", (long long)wall.tv_sec);

    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
        cmdline[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    load_modules();
    data_disk();
    char test[8];
    if (param("keel.test", test, sizeof test) && strcmp(test, "0") != 0) {
        run_checks();
        load(); // (does not return when requested)
    } else {
        interactive();
    }
    power_off();
}
