# SPDX-License-Identifier: MIT
# System tests (ctest label "system"): boot the real kernel on emulated boards, judge the console.

# Boot without an initrd: the kernel comes up, says it has no root task, and idles.
keel_add_qemu_test(boot/arm64-gicv3 BOARD qemu-virt-arm64 ARCH arm64 TIMEOUT 30
    EXPECT "Keel hypervisor (arm64)" "gic: GICv3" "KEEL BOOT OK" "no root task")
keel_add_qemu_test(boot/arm64-gicv2-max-smp4 BOARD qemu-virt-arm64 ARCH arm64 TIMEOUT 30
    CPU max SMP 4 MACHINE_OPTS gic-version=2 EXPECT "gic: GICv2" "boot: 4 CPUs" "KEEL BOOT OK" "no root task")
keel_add_qemu_test(boot/riscv64 BOARD qemu-virt-riscv64 ARCH riscv64 TIMEOUT 30
    EXPECT "Keel hypervisor (riscv64)" "KEEL BOOT OK" "no root task")
keel_add_qemu_test(boot/riscv64-smp4 BOARD qemu-virt-riscv64 ARCH riscv64 TIMEOUT 30 SMP 4
    EXPECT "boot: 4 CPUs" "KEEL BOOT OK" "no root task")
keel_add_qemu_test(boot/x86_64 BOARD q35-x86_64 ARCH x86_64 TIMEOUT 30
    EXPECT "Keel hypervisor (x86_64)" "KEEL BOOT OK" "no root task")
keel_add_qemu_test(boot/x86_64-smp4 BOARD q35-x86_64 ARCH x86_64 TIMEOUT 30 SMP 4
    EXPECT "boot: 4 CPUs" "KEEL BOOT OK" "no root task"
    REQUIRE "smp: CPU 1 up" "smp: CPU 2 up" "smp: CPU 3 up")
# The Intel VT-x board (Bochs, booted by GRUB: ci/bochs_boot.py): the kernel comes up and finds
# VT-x with what the back end needs (no SVM there). One CPU (the other Bochs tests have two).
keel_add_qemu_test(boot/x86_64-bochs-vmx BOARD bochs-x86_64 ARCH x86_64 TIMEOUT 90
    EXPECT "Keel hypervisor (x86_64)" "x86: VT-x (VMCS revision" "boot: 1 CPUs" "KEEL BOOT OK"
           "no root task"
    FAIL "x86: SVM" "without what Keel needs")
# ... and the whole kernel test suite there, on 2 CPUs, with the VT-x back end for its vCPU cases
# (about 4 minutes of the host's time: Bochs counts its time in instructions). Its device case
# takes Bochs' HPET (timer 0 on the highest I/O APIC input it may route to). ACPI power-off ends
# Bochs.
keel_add_qemu_test(ktest/x86_64-bochs-vmx-smp2 BOARD bochs-x86_64 ARCH x86_64 INITRD TIMEOUT 600
    SILENCE 180 SMP 2 MEMORY 1G
    EXPECT "x86: VT-x (VMCS revision" "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT
    REQUIRE "ktest: guest on VT-x" "PASS: vcpu_x86_runs_a_guest_and_refuses_what_it_must_not_run"
            "PASS: vcpu_binding_a_thread_that_runs_on_another_cpu_is_refused"
            "PASS: device_interrupt_reaches_user_level"
    FAIL "no SVM or VT-x here")

# The kernel test suite (user/ktest as the root task), on both interrupt controllers, both CPU
# models and 1 and 4 CPUs. Every case prints PASS/FAIL; any FAIL fails the test at once. The
# 4-CPU runs have 2 GiB of memory: a whole GiB free for the 1 GiB mapping case (REQUIRE: it ran).
keel_add_qemu_test(ktest/arm64-gicv3-a72-smp1 BOARD qemu-virt-arm64 ARCH arm64 INITRD TIMEOUT 300
    SMP 1 EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT)
keel_add_qemu_test(ktest/arm64-gicv3-a72-smp4 BOARD qemu-virt-arm64 ARCH arm64 INITRD TIMEOUT 300
    SMP 4 MEMORY 2G EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT
    REQUIRE "ktest: a GiB mapped on twice")
keel_add_qemu_test(ktest/arm64-gicv2-max-smp4 BOARD qemu-virt-arm64 ARCH arm64 INITRD TIMEOUT 300
    SMP 4 CPU max MACHINE_OPTS gic-version=2 EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT)
keel_add_qemu_test(ktest/riscv64-smp1 BOARD qemu-virt-riscv64 ARCH riscv64 INITRD TIMEOUT 300
    SMP 1 EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT)
keel_add_qemu_test(ktest/riscv64-smp4 BOARD qemu-virt-riscv64 ARCH riscv64 INITRD TIMEOUT 300
    SMP 4 MEMORY 2G EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT
    REQUIRE "ktest: a GiB mapped on twice")
# The cases that measure a budget's share of a CPU (sched_budget_share_*), left out of the runs
# above: on 4 CPUs with the clocks counting instructions (-icount), so that a busy host cannot
# stretch them (a few seconds each; user/CMakeLists.txt, ktest-shares).
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(ktest/${arch}-budget-shares-icount BOARD ${board} ARCH ${arch}
        INITRD_NAME ktest-shares TIMEOUT 120 SMP 4 ICOUNT
        EXPECT "ktest: only the cases whose names start with sched_budget_share"
               "KTEST DONE: 3 passed" " 0 failed" "KEEL: power off" EXIT
        REQUIRE "PASS: sched_budget_share_leaves_the_rest_to_a_lower_priority"
                "PASS: sched_budget_share_holds_across_migration"
                "PASS: sched_budget_share_holds_across_ipc")
endforeach()

# Bounded kernel work (docs/kernel.md): the benchmark program's scenario, one CPU under -icount
# (virtual time counts instructions, so the host's load does not matter): a thread sleeping 1 ms
# at a time is never woken 50 ms of virtual time late while a 256 MiB address space at the end of
# a delegation chain of 8 tasks is mapped, unmapped in one call, mapped again and revoked from
# the chain's top.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(bench/${arch}-teardown-latency BOARD ${board} ARCH ${arch}
        INITRD_NAME bench TIMEOUT 180 SMP 1 ICOUNT
        EXPECT "BENCH irq-off-max-map-unmap-teardown" "TEARDOWN LATENCY OK" "BENCH DONE"
        FAIL "TEARDOWN LATENCY TOO LONG" "failed to set up")
endforeach()

# A real-time guest while a big VM comes and goes (dts/systems/vm-latency-<arch>.dts): "ticker"
# (vmm/guests/<arch>/raw_latency.S; x86_64: its LAPIC timer, the VMM's model) takes a timer tick
# every 1 ms on CPU 0, above the root task,
# and keeps the longest gap between two ticks in its own time; "big", a VM with 1 GiB of RAM, is
# created on CPU 1 (its VMM's heap filled by the root task on CPU 0, mapped into the VM) and
# destroyed 300 ms after it is ready (the root task releases it: the kernel unmaps and frees it in
# bounded steps). No gap may exceed 50 ms of guest time. Under -icount with idle time skipped the
# run is the same whatever the host's load (arm64 3.4 ms, riscv64 10.8 ms, x86_64 10.0 ms; 132,
# 165 and 198 ms with the teardown's preemption points taken out).
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(vm/${arch}-latency-while-a-1gib-vm-comes-and-goes BOARD ${board}
        ARCH ${arch} INITRD_NAME vm-latency TIMEOUT 240 SMP 2 MEMORY 3G ICOUNT_SKIP_IDLE
        EXPECT "root: started ticker" "root: started big" "ticker| latency: ticking every 1 ms"
               "vmm: big: 1024 MiB RAM" "root: big stopped by the system"
               "ticker| latency: done: 4000 ticks" "ticker| latency: OK (limit 50 ms)"
               "vmm: ticker: guest powered off, status 0" "root: all programs done" "KEEL: power off"
        FAIL "TOO LONG" "cannot start" EXIT)
endforeach()

# The real-time guest of the project's own (vmm/guests/rt/, dts/systems/vm-rt-<arch>.dts), alone on
# CPU 1 at priority 120: per round it measures how late 2000 ticks of its 1 ms timer reach their
# handler (counter at entry minus the deadline; WFI between ticks) and 500 transmit interrupts of
# its UART (counter before the data register write to the handler's entry), and prints min, p50,
# p99 and max in ticks and ns. Three rounds, then power-off with status 0 (1: a sample over
# 50 ms). Under -icount with idle time skipped the figures are the same whatever the host's load.
# x86_64: the TSC, its LAPIC timer in TSC-deadline mode, the 16550 through the I/O APIC.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(vm/${arch}-rt-guest-reports-latency BOARD ${board} ARCH ${arch}
        INITRD_NAME vm-rt TIMEOUT 120 SMP 2 ICOUNT_SKIP_IDLE
        EXPECT "root: started rt" "rt| rt: real-time guest: timer every 1000 us"
               "rt| rt: round 1 of 3" "rt| rt: timer samples 2000 min " " ticks, freq "
               "rt| rt: timer samples 2000 min " " ns"
               "rt| rt: device samples 500 min " " ticks, freq "
               "rt| rt: device samples 500 min " " ns" "rt| rt: round 3 of 3"
               "rt| rt: done, 3 rounds, OK" "vmm: rt: guest powered off, status 0"
               "root: all programs done" "KEEL: power off"
        FAIL "TOO LATE" "rt: unexpected" "cannot start" EXIT)
endforeach()

# VM lifecycle (dts/systems/vm-restart-<arch>.dts): the system stops "crasher"'s VMM 20 ms after
# it is ready, and its restart policy (keel,restart = "on-failure") starts a fresh one, 100 times;
# after every end the root task checks that the program's account (the factory its factory is
# made from) has nothing given out (a kernel object kept would hold its quota). "rt", the
# real-time guest, meanwhile runs its three rounds on a CPU of its own and passes (under -icount:
# without it, this machine's two cores cannot keep a 1 kHz tick while the other CPU works).
foreach(arch IN ITEMS arm64 riscv64)
    keel_add_qemu_test(vm/${arch}-vmm-restarted-100-times BOARD qemu-virt-${arch} ARCH ${arch}
        INITRD_NAME vm-restart TIMEOUT 180 SMP 2 ICOUNT_SKIP_IDLE STALL 60 # (16.3 s quiet on riscv64)
        EXPECT "root: started rt" "root: started crasher" "root: crasher: restart 1 of at most 100"
               "root: crasher: restart 100 of at most 100"
               "root: crasher: restarted 100 times (keel,restart-max)"
               "kernel memory back to its level after every end: yes"
               "memory back after every end: yes"
               "root: all programs done" "KEEL: power off"
        REQUIRE "rt| rt: done, 3 rounds, OK" "vmm: rt: guest powered off, status 0"
        FAIL "LEAK" "cannot start" "its restart failed" "TOO LATE" EXIT)
endforeach()
# Budgets (dts/systems/vm-budgets-<arch>.dts, docs/system.md "Budgets"): a VMM's kernel-memory
# below what its VM needs and a memory below its VM's RAM are refused at start with the numbers;
# a VMM whose memory does not fit beside what the one running was promised is refused by
# name; one without either runs with what its VM needs, three times more, and after every end its
# memory and kernel memory are back.
foreach(arch IN ITEMS arm64 riscv64)
    keel_add_qemu_test(vm/${arch}-budgets BOARD qemu-virt-${arch} ARCH ${arch} INITRD_NAME vm-budgets
        TIMEOUT 60 SMP 1
        EXPECT "root: short: kernel-memory 0x40000 is below the 0x"
               " its VM needs (16 MiB RAM, 1 vCPU, "
               "root: small: memory 0x800000 (8 MiB) is below the RAM of its VM (16 MiB, raw-hello.dtb); not started"
               "root: started hoarder (vmm) on CPU 0, memory 768 MiB, kernel memory "
               "root: late: memory 0xa000000 (160 MiB) and its image do not fit in the board's memory left ("
               "MiB of it promised to the programs running); not started"
               "root: started derived (vmm) on CPU 0, memory 16 MiB, kernel memory "
               "root: derived: restart 3 of at most 3"
               "root: derived: restarted 3 times (keel,restart-max); kernel memory back to its level after every end: yes"
               "memory back after every end: yes"
               "root: all programs done" "KEEL: power off"
        REQUIRE "vmm: hoarder: guest powered off, status 43"
        FAIL "LEAK" "root: started short" "root: started small" "root: started late" "its restart failed"
        EXIT)
endforeach()

# The SBSA Generic Watchdog (vmm/dev/sbsa_gwdt.c; the guest vmm/guests/wdt/, dts/vms/wdt-<arch>.dts,
# dts/systems/vm-wdt-<arch>.dts), under -icount: the guest enables it with a 50 ms offset, feeds it
# 5 times every 25 ms, takes WS0's interrupt in WFI (not before WCV), then stops feeding and spins
# with interrupts masked, making no exit: only the VMM's device timer thread (vmm/vm_timer.c) sees
# WS1 come, prints the expiry line and resets the VM in place: the guest's second boot (told by its
# PL031's count, which survives the reset) finds the watchdog in its reset state and powers off
# with status 0.
set(wdt_first "wdt| wdt: first boot: watchdog W_IIDR 0x1043b"
    "wdt| wdt: fed 1 of 5" "wdt| wdt: fed 5 of 5" "wdt| wdt: WS0 interrupt "
    "wdt| wdt: no more feeding: spinning with interrupts masked"
    "vmm: wdt: watchdog expired (WS1): resetting the VM")
# x86_64: the watchdog counts a 62.5 MHz timebase scaled from the TSC; the guest finds the TSC's
# rate from the ACPI PM timer (the kernel's count of the same TSC) and takes WS0 through the I/O
# APIC (line 5); the PL031 at the same address as on arm64.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(vm/${arch}-watchdog-resets-the-vm BOARD ${board} ARCH ${arch}
        INITRD_NAME vm-wdt TIMEOUT 120 SMP 2 ICOUNT_SKIP_IDLE
        EXPECT "root: started wdt" ${wdt_first}
               "vmm: wdt: the guest reset the system: restarting it (reset 1)"
               "wdt| wdt: boot after the watchdog's reset"
               "wdt| wdt: the watchdog is off after the reset: OK"
               "vmm: wdt: guest powered off, status 0" "root: all programs done" "KEEL: power off"
        COUNT "watchdog expired (WS1)" 1
        FAIL "FAILED" "wdt: unexpected" "cannot start" "(reset 2)" "cannot restart the VM" "LEAK"
        EXIT)
endforeach()

# The root task starts programs from the initrd as the system device tree describes, serves their
# page faults, stops the one that overruns its memory and the one whose kernel memory runs out
# while its heap is mapped (its pager's reply-and-wait fails with ENOMEM), and powers off when all
# are done. hello-d,
# given a Scheduler (keel,scheduler), moves itself from CPU 1 to CPU 0 but cannot raise its
# priority above the 50 it was given; the others have none.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(root/${arch}-programs BOARD ${board} ARCH ${arch} INITRD_NAME system-hello
        TIMEOUT 60 SMP 2
        EXPECT "root: started hello-a" "root: started hello-c"
               "hello-a: 256 KiB of heap, checksum 1032192" "root: hello-a exited with status 80"
               "root: hello-c: page fault at 0x2000010000" "outside its memory; stopped"
               "root: hello-b exited with status 207" "root: all programs done" "KEEL: power off"
        REQUIRE "hello-d: scheduler: run on CPU 0: ok, now on CPU 0"
                "hello-d: scheduler: priority 51: out of range"
                "root: hello-e: its page fault's mapping failed (quota exhausted: its kernel-memory is used up); stopped"
        FAIL "hello-a: scheduler" "hello-b: scheduler" "hello-c: scheduler" "hello-e: 16384 KiB"
        EXIT)
endforeach()
# CPU partitions and budgets (dts/systems/partitions.dts): "alone" holds CPU 1 exclusively, so
# "other" (no keel,cpus) gets CPU 0 only and "greedy" (CPU 0 and 1) is refused; each tries to move
# itself to every CPU. "budgeted" spins for 300 ms on CPU 0 at priority 70 with 6 ms of every
# 20 ms: "low" (priority 40, same CPU) finishes meanwhile, and the spinner ran about 30 % (it says
# BEYOND above 40 %). Under -icount: the guest's time then follows what the CPUs execute, not the
# host's clock, which a loaded host lets run on while an emulated CPU waits for a core.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(root/${arch}-partitions-and-budgets BOARD ${board} ARCH ${arch}
        INITRD_NAME system-partitions TIMEOUT 60 SMP 2 ICOUNT_SKIP_IDLE
        EXPECT "root: started alone (hello) on CPU 1, CPUs 0x2"
               "root: started other (hello) on CPU 0, CPUs 0x1"
               "root: greedy: CPU 1 is held exclusively by alone (keel,cpus-exclusive)"
               "root: started budgeted (hello) on CPU 0, CPUs 0x1, budget 6000 us per 20000 us"
               "root: started low" "root: low exited with status"
               "budgeted: spun 300 ms, ran" "within its budget of 30 %"
               "root: all programs done" "KEEL: power off"
        REQUIRE "alone: cpus: run on CPU 0: permission denied, on CPU 1"
                "alone: cpus: run on CPU 1: ok, on CPU 1"
                "other: cpus: run on CPU 0: ok, on CPU 0"
                "other: cpus: run on CPU 1: permission denied, on CPU 0"
        FAIL "BEYOND" "greedy: cpus" "cannot start"
        EXIT)
endforeach()
# Links (dts/systems/links.dts): ping and pong, on two CPUs, exchange three messages each way through
# the shared memory of net0, each waiting on its own Irq and ringing the peer's (which it cannot
# attach); every byte is checked. A program without the link faults where it would be. Links
# joined by one or three programs or larger than the memory are reported; their programs do not
# start, the others do.
foreach(arch IN ITEMS arm64 riscv64 x86_64)
    set(board qemu-virt-${arch})
    if(arch STREQUAL "x86_64")
        set(board q35-x86_64)
    endif()
    keel_add_qemu_test(root/${arch}-links BOARD ${board} ARCH ${arch} INITRD_NAME system-links
        TIMEOUT 60 SMP 2
        EXPECT "root: link lonely: not set up (a link joins exactly 2 programs; 1 joined it)"
               "root: link crowd: not set up (a link joins exactly 2 programs; 3 joined it)"
               "root: link huge: not set up (not enough memory for keel,size; 2 joined it)"
               "root: started ping" "root: started pong" "root: started intruder"
               "root: all programs done" "KEEL: power off"
        REQUIRE "ping: link net0 end 0, 64 KiB at 0x3800000000"
                "pong: link net0 end 1, 64 KiB at 0x3800000000"
                "ping: attach the peer's Irq: permission denied"
                "pong: attach the peer's Irq: permission denied"
                "pong: round 1: got \"ping 1\"" "ping: round 1: got \"pong 1\""
                "pong: round 3: got \"ping 3\"" "ping: round 3: got \"pong 3\""
                "ping: 3 round trips through net0 done" "pong: 3 round trips through net0 done"
                "root: ping exited with status 0" "root: pong exited with status 0"
                "root: intruder: page fault at 0x3800000000"
                "root: loner: keel,links names lonely, which is not set up; not started"
                "root: trio-a: keel,links names crowd, which is not set up; not started"
                "root: trio-b: keel,links names huge, which is not set up; not started"
                "root: trio-c: keel,links names crowd, which is not set up; not started"
        FAIL "intruder exited" "root: started loner" "root: started trio"
        EXIT)
endforeach()
# Board devices and DMA memory (dts/systems/devtest-<arch>.dts, user/devtest): QEMU puts a
# virtio-blk (virtio 1.0: force-legacy=false) whose disk starts with a known sector on one
# transport; dev, given that transport (selected by address), its interrupt and DMA memory,
# reads the transport's magic, version and device ID, reads sector 0 by DMA into its DMA memory
# and waits for the interrupt, then again into its link's memory (at the physical address only a
# program with devices is told), holds exactly its documented capabilities (no Icu: a BIND fails),
# twice (restarted once: device, line and fresh DMA memory again, all memory back after each
# end). A device (arm64: a page) for two programs is refused, and DMA memory beyond a program's
# memory; a program reading a device's registers it was not given is stopped, the system goes
# on. A few seconds each.
set(devtest_disk ${CMAKE_BINARY_DIR}/devtest-disk.img)
string(REPEAT "." 484 devtest_pad)
string(REPEAT "-" 3584 devtest_rest)
file(WRITE ${devtest_disk} "KEEL devtest disk, sector 0\n${devtest_pad}${devtest_rest}")
foreach(arch IN ITEMS arm64 riscv64)
    if(arch STREQUAL "arm64")
        set(transport 31)
        set(line 79)
        set(refused "root: device next: not set up (board node virtio_mmio@a003c00: its page 0xa003000 is device blk's (given to dev): a page goes to one program)")
        set(thief "root: thief: keel,devices names next, which is not set up for it; not started")
        set(where "root: device blk: 0xa003e00, 512 bytes (in the page from 0xa003000), line 79"
            "root: device blk: 7 other board nodes in its page (virtio_mmio@a003000,")
        set(pa 0xa003e00)
    else()
        set(transport 7)
        set(line 8)
        set(refused "root: device other: not set up (listed more than once in the programs' keel,devices: a device is given to one program)")
        set(thief "root: thief: keel,devices names other, which is not set up for it; not started")
        set(where "root: device blk: 0x10008000, 4 KiB, line 8")
        set(pa 0x10008000)
    endif()
    keel_add_qemu_test(root/${arch}-board-device-dma BOARD qemu-virt-${arch} ARCH ${arch}
        INITRD_NAME system-devtest TIMEOUT 60 SMP 1
        EXPECT ${where} ${refused} "root: started dev"
               "dev: magic 0x74726976, version 2, device ID 2"
               "dev: sector 0 read by DMA into its DMA memory, interrupt ${line}: \"KEEL devtest disk, sector 0\""
               "dev: sector 0 read by DMA into its link, interrupt ${line}: \"KEEL devtest disk, sector 0\""
               "dev: capabilities: 1 2 3 6 8 16 17 24" "dev: Icu BIND of line" ": no capability"
               "dev: done" "root: dev exited with status 0" "root: started dev"
               "dev: sector 0 read by DMA into its DMA memory, interrupt ${line}"
               "dev: sector 0 read by DMA into its link" "root: dev exited with status 0"
               "memory back after every end: yes" "root: all programs done" "KEEL: power off"
        REQUIRE "root: intruder: page fault at ${pa}" ${thief}
                "root: greedy: keel,dma (128 KiB) is more than its memory (64 KiB); not started"
                "peer: link disk0: physical address not given (no keel,devices)"
                "root: peer exited with status 0"
        COUNT "dev: done" 2
        FAIL "intruder exited" "root: started thief" "root: started greedy"
        EXIT
        QEMU_ARGS -global virtio-mmio.force-legacy=false
            -drive file=${devtest_disk},if=none,format=raw,id=d0,readonly=on
            -device virtio-blk-device,drive=d0,bus=virtio-mmio-bus.${transport})
endforeach()
# The block driver (docs/devices.md; dts/systems/vm-blk-arm64.dts): blkdrv drives QEMU's
# virtio-blk (a 1 MiB image file ci/blk_disk.py writes afresh) and serves two slices over links;
# vm1's guest writes its read-write slice's first 8 sectors and its last, flushes and reads them
# back, and its write past the end fails; vm2's guest reads its read-only slice (the board's
# sector 128) and its write fails. ci/blk_disk.py then checks the image byte for byte: vm1's
# sectors written, every other sector (vm2's slice among them) unchanged. A few seconds.
set(blk_disk ${CMAKE_BINARY_DIR}/blk-disk.img)
keel_add_qemu_test(vm/arm64-blk-driver BOARD qemu-virt-arm64 ARCH arm64 INITRD_NAME vm-blk
    TIMEOUT 60 SMP 2
    EXPECT "blkdrv: device disk: 2048 sectors (1024 KiB), flush"
           "blkdrv: link vm1-disk: sectors 0..127 of the disk,"
           "blkdrv: link vm2-disk: sectors 128..255 of the disk, read-only,"
           "guest powered off, status 0" "guest powered off, status 0" # (both VMs, either first)
    REQUIRE "vm1| blkuser: disk of 128 sectors, flush, id \"vm1-disk\" (status 0)"
            "vm1| blkuser: wrote sectors 0-7 and 127, flushed, read back: all correct"
            "vm1| blkuser: write of sector 128, past its disk: status 1"
            "vm1| blkuser: done" "vmm: vm1: guest powered off, status 0"
            "vm2| blkuser: disk of 128 sectors, read-only, flush, id \"vm2-disk\" (status 0)"
            "vm2| blkuser: sector 0 (status 0): \"KEEL disk sector 128\""
            "vm2| blkuser: write of sector 0 on a read-only disk: status 1"
            "vm2| blkuser: done" "vmm: vm2: guest powered off, status 0"
    WRAP ${CMAKE_SOURCE_DIR}/ci/blk_disk.py --image ${blk_disk}
    QEMU_ARGS -global virtio-mmio.force-legacy=false
        -drive file=${blk_disk},if=none,format=raw,id=d0
        -device virtio-blk-device,drive=d0,bus=virtio-mmio-bus.31)
# The same with blkdrv crashing (dts/systems/vm-blk-restart-arm64.dts): it exits without
# answering the 4th request of its first run; the root task starts it again a second later
# (generation 2). The VMMs fail what was in flight (IOERR) when it ends (the root task tells
# them: before its restart), and what the guests post meanwhile; the guests try again and finish
# as above, and the image is as above.
set(blk_disk_restart ${CMAKE_BINARY_DIR}/blk-disk-restart.img)
keel_add_qemu_test(vm/arm64-blk-driver-restart BOARD qemu-virt-arm64 ARCH arm64
    INITRD_NAME vm-blk-restart TIMEOUT 60 SMP 2
    EXPECT "blkdrv: link vm1-disk: sectors 0..127 of the disk, 16 slots, 252 KiB of data, generation 1"
           "root: blkdrv exited with status 2" ": the driver ended: requests in flight fail"
           "root: blkdrv: restart 1 of at most 1" "root: all programs done"
    EXIT # (both VMs done, the system stops blkdrv and powers off: every REQUIRE is in by then)
    REQUIRE "vmm: vm1: guest powered off, status 0"
            "vmm: vm2: guest powered off, status 0" # (read-only: it may finish during the outage)
            "blkdrv: request 4 taken: exiting without an answer (exit-after)"
            "root: blkdrv: restart in 1000 ms (keel,restart-delay-ms)"
            "blkdrv: link vm1-disk: sectors 0..127 of the disk, 16 slots, 252 KiB of data, generation 2"
            "requests failed (I/O error) and were tried again"
            "vm1| blkuser: wrote sectors 0-7 and 127, flushed, read back: all correct"
            "vm1| blkuser: write of sector 128, past its disk: status 1" "vm1| blkuser: done"
            "vm2| blkuser: sector 0 (status 0): \"KEEL disk sector 128\""
            "vm2| blkuser: write of sector 0 on a read-only disk: status 1" "vm2| blkuser: done"
    WRAP ${CMAKE_SOURCE_DIR}/ci/blk_disk.py --image ${blk_disk_restart}
    QEMU_ARGS -global virtio-mmio.force-legacy=false
        -drive file=${blk_disk_restart},if=none,format=raw,id=d0
        -device virtio-blk-device,drive=d0,bus=virtio-mmio-bus.31)
# A restarted VMM taking over its link (dts/systems/vm-blk-vmm-restart-arm64.dts): vm1's VMM
# stops its VM right after posting the guest's 2nd request (sectors 0-7) in its first run and
# takes no completion any more; the root task starts it again; the new VMM drops the completion
# the dead one left, waits until nothing of it is in flight (vmm/blk_link.c, take_over()), and its
# guest does all again; vm2 and the image end as above.
set(blk_disk_vmm_restart ${CMAKE_BINARY_DIR}/blk-disk-vmm-restart.img)
keel_add_qemu_test(vm/arm64-blk-vmm-restart BOARD qemu-virt-arm64 ARCH arm64
    INITRD_NAME vm-blk-vmm-restart TIMEOUT 60 SMP 2
    EXPECT "vmm: vm1: disk link vm1-disk: request 2 posted: stopping the VM"
           "vmm: vm1: VM stopped" "root: vm1: restart 1 of at most 1"
           "vmm: vm1: disk link vm1-disk: taken over at request 2, 1 completions of the previous run dropped"
           "vm1| blkuser: wrote sectors 0-7 and 127, flushed, read back: all correct"
           "vm1| blkuser: done" "vmm: vm1: guest powered off, status 0"
    REQUIRE "vm2| blkuser: sector 0 (status 0): \"KEEL disk sector 128\""
            "vm2| blkuser: write of sector 0 on a read-only disk: status 1" "vm2| blkuser: done"
            "vmm: vm2: guest powered off, status 0"
    FAIL "requests failed (I/O error)"
    WRAP ${CMAKE_SOURCE_DIR}/ci/blk_disk.py --image ${blk_disk_vmm_restart}
    QEMU_ARGS -global virtio-mmio.force-legacy=false
        -drive file=${blk_disk_vmm_restart},if=none,format=raw,id=d0
        -device virtio-blk-device,drive=d0,bus=virtio-mmio-bus.31)
# x86_64 measures its timer against the PIT: under -icount (TSC at 1 GHz of instructions) the
# quanta, timeouts and the CPU start still work.
# With 6 GiB, q35 puts 4 GiB above the 4 GiB line: the direct map grows over it at boot, and the
# kernel pool lands up there.
keel_add_qemu_test(root/x86_64-programs-6g BOARD q35-x86_64 ARCH x86_64 INITRD_NAME system-hello
    TIMEOUT 60 SMP 2 MEMORY 6G EXPECT "6142 MiB memory in 2 ranges" "root: all programs done"
    "KEEL: power off" EXIT)
keel_add_qemu_test(root/x86_64-programs-icount BOARD q35-x86_64 ARCH x86_64 INITRD_NAME system-hello
    TIMEOUT 90 SMP 2 ICOUNT EXPECT "timer: TSC" "root: all programs done" "KEEL: power off" EXIT)

# The first VM (arm64): the root task starts a VMM, which runs a raw-binary guest at EL1 under
# stage 2; the guest prints through the emulated PL011 and powers off through PSCI (HVC).
# A second VM on the other CPU lets its virtual timer fire with interrupts masked: the kernel
# holds the interrupt at the GIC and hands the event to its VMM (no interrupt storm), and the
# guest finishes.
keel_add_qemu_test(vm/arm64-raw-binary BOARD qemu-virt-arm64 ARCH arm64 INITRD_NAME vm-raw TIMEOUT 60
    SMP 2 EXPECT "root: started vm1" "root: started vm2" "vm1| guest: hello from a raw binary at EL1"
    "vmm: vm1: guest powered off, status 43" "root: all programs done" "KEEL: power off" EXIT)
# On a GICv2 board the kernel drives the virtual interface (GICH) too: the held timer's event
# goes into a list register, not to the VMM, and the guest finishes with its timer as it set it
# (status 5: ENABLE, ISTATUS; the kernel holds the interrupt at the GIC, never with the guest's
# IMASK).
keel_add_qemu_test(vm/arm64-gicv2-virtual-timer BOARD qemu-virt-arm64 ARCH arm64 INITRD_NAME vm-raw
    TIMEOUT 60 SMP 2 MACHINE_OPTS gic-version=2
    EXPECT "gic: GICv2" "virtual interface" "root: started vm2" "vmm: vm2: guest powered off, status 5"
    "root: vm2 exited with status 0" "KEEL: power off" FAIL "virtual timer fired" EXIT)
# GICv3: the kernel injects the guest's timer interrupt through a list register; the guest takes
# it at EL1 (acknowledges INTID 27 through its virtual CPU interface) with no exit to the VMM.
keel_add_qemu_test(vm/arm64-gicv3-virtual-interrupt BOARD qemu-virt-arm64 ARCH arm64 INITRD_NAME vm-virq
    TIMEOUT 60 SMP 1 EXPECT "root: started vmA" "vmm: vmA: guest powered off, status 27"
    "root: all programs done" "KEEL: power off" FAIL "virtual timer fired" EXIT)
# A board device passed through (docs/vcpu.md, "Direct interrupt delivery"): the root task gives
# the PL031 to the VMM (keel,devices), which maps it into its raw guest; the guest raises the
# RTC's interrupt 200 times: the first 100 come through the VMM (EVENT exits), the next 100 the
# kernel delivers itself (Irq DIRECT: the VMM sees none of them); disabled in the guest's
# distributor the interrupt waits in the VMM, enabled it comes; then one more directly; after a
# reset of the VM (which ends the direct delivery in the kernel: the VMM gives it again) one more
# directly. The VMM counts 101 through it (100 + the disabled one). Under -icount: the two bench lines are
# make bench's virq-passthrough rows.
keel_add_qemu_test(vm/arm64-passthrough-direct-interrupt BOARD qemu-virt-arm64 ARCH arm64
    INITRD_NAME vm-passthrough TIMEOUT 90 SMP 1 ICOUNT
    EXPECT "root: device rtc: 0x9010000, 4 KiB, line 34" "board device rtc passed through (interrupt 34, direct)"
    "rtc: direct delivery from now on (after 100 through the VMM)" "vm1| bench: virq-passthrough-vmm 0x"
    "vm1| bench: virq-passthrough-direct 0x" "vm1| guest: disabled, then enabled: status 0x0000000000000000"
    "the guest reset the system" "vm1| guest: after the reset: status 0x0000000000000000"
    "vmm: vm1: vCPU 0 exits: " "events" "vmm: vm1: rtc: 101 interrupts through the VMM"
    "vmm: vm1: guest powered off, status 0" "KEEL: power off" EXIT)
# Two guests on one CPU keep their own FP/SIMD registers (lazy load, save at the end of a run).
keel_add_qemu_test(vm/arm64-fpsimd-two-guests-one-cpu BOARD qemu-virt-arm64 ARCH arm64 INITRD_NAME vm-fp
    TIMEOUT 60 SMP 1 EXPECT "root: started vmA" "root: started vmB" "root: all programs done" "KEEL: power off"
    FAIL "status 99" EXIT)

# The x86_64 VMs, on both back ends from the same VMM and guests: AMD SVM with nested paging
# (q35) and Intel VT-x with EPT (Bochs, which counts its time in instructions: a guest's second
# takes about 15 s of the host's time).
# vm-raw: five VMMs on two CPUs with raw-binary guests in 32-bit protected mode. vm1 prints
# through the 16550 at port 0x3f8, reads the hypervisor's CPUID signature, makes the hypercall
# the kernel answers (VMMCALL on AMD, VMCALL on Intel) and powers off through the exit port with
# status 43; vm2 takes 20 ticks of its local APIC's timer (the VMM's model, MMIO decoded from
# nested page faults), 10 in HLT and 10 spinning (the kernel keeps the deadline), and powers off
# with status 20; vm3 takes 101 interrupts of its 16550 through the I/O APIC model (a level line,
# in service until the guest's EOI) and powers off with status 100; vm4's guest has two vCPUs
# (one per CPU): the first starts the second with INIT and STARTUP IPIs, it runs in real mode,
# and the first powers off with status 2; vm5 takes 21 interrupts of the 8254 (IRQ 0, line 2)
# and 21 of the CMOS clock's periodic flag (IRQ 8), each no sooner and not much later than its
# period allows by the PM timer, none after its source is stopped, and powers off with status 30.
# vm-isolation: a guest misuses its platform (ports, MSRs, string I/O, instructions it does not
# have): every misuse is answered as hardware would, the VMM reports and survives. It then spins
# with interrupts off through four times the loop the victim on the same CPU needs (a length in
# work: Bochs' clock is its instruction count), and the victim still finishes first (the kernel's
# timer takes the CPU back); the attacker's final triple fault stops its own VM only.
# vm-fp: two guests on one CPU keep their own x87 and SSE registers (left in the CPU after a run,
# reloaded when the other vCPU has used them).
foreach(backend IN ITEMS svm vmx)
    if(backend STREQUAL "svm")
        set(board q35-x86_64)
        set(found "x86: SVM with nested paging")
        set(pre "x86_64")
        set(slow TIMEOUT 60)
    else()
        set(board bochs-x86_64)
        set(found "x86: VT-x (VMCS revision")
        set(pre "x86_64-vmx")
        set(slow TIMEOUT 120 SILENCE 60)
    endif()
    keel_add_qemu_test(vm/x86_64-${backend}-raw-binary BOARD ${board} ARCH x86_64 INITRD_NAME vm-raw
        ${slow} SMP 2 EXPECT "${found}" "root: started vm1" "root: started vm2"
        "root: started vm3" "root: started vm4" "root: started vm5" "root: all programs done"
        "KEEL: power off"
        REQUIRE "vm1| guest: hello from a raw binary in 32-bit protected mode"
                "vm1| guest: cpuid says KeelKeelKeel"
                "vmm: vm1: guest powered off, status 43" "vmm: vm2: guest powered off, status 20"
                "vmm: vm3: guest powered off, status 100"
                "vm4| guest: CPU 1 up in real mode" "vm4| guest: CPU 0 saw CPU 1 start"
                "vmm: vm4: guest powered off, status 2"
                "vm5| guest: pit 21 periods 0x" "vm5| guest: rtc 20 periods 0x"
                "vmm: vm5: guest powered off, status 30"
        EXIT)
    keel_add_qemu_test(vm/${pre}-isolation BOARD ${board} ARCH x86_64 INITRD_NAME vm-isolation
        ${slow} SMP 1 EXPECT "${found}" "root: started attacker" "root: started victim"
        "vmm: victim: guest powered off, status 1" "vmm: attacker: the guest shut down (a triple fault)"
        "root: all programs done" "KEEL: power off"
        REQUIRE "attacker| guest: every misuse answered as hardware would"
                "vmm: attacker: guest read of 1 bytes at port 0x1234: no device there"
                "vmm: attacker: guest read of MSR 0x12345678: #GP injected"
                "attacker| guest: a line by rep outsb"
                "vmm: attacker: guest string read of 4 elements at port 0x1234: no device there"
                "with bits it does not have or may not change now: #GP injected"
                "vmm: attacker: the guest shut down (a triple fault)"
        FAIL "unexpected exception" "guest powered off, status 6" "guest powered off, status 99" EXIT)
    # vm-reset: a guest resets its VM through port 0xcf9; the VMM restarts it in place (RAM
    # cleared, the image loaded again, the CMOS RAM kept) and the guest's second boot ends it.
    keel_add_qemu_test(vm/${pre}-reset-restarts-the-vm BOARD ${board} ARCH x86_64 INITRD_NAME vm-reset
        ${slow} SMP 1 EXPECT "${found}" "root: started vm1"
        "vm1| guest: first boot, resetting the system"
        "vmm: vm1: the guest reset the system: restarting it (reset 1)"
        "vm1| guest: second boot, after the reset" "vmm: vm1: guest powered off, status 63"
        "root: all programs done" "KEEL: power off"
        FAIL "(reset 2)" "stopping the VM" "cannot restart the VM" EXIT)
    keel_add_qemu_test(vm/${pre}-fp-two-guests-one-cpu BOARD ${board} ARCH x86_64 INITRD_NAME vm-fp
        ${slow} SMP 1 EXPECT "${found}" "root: started vmA" "root: started vmB" "root: all programs done"
        "KEEL: power off"
        REQUIRE "vmm: vmA: guest powered off, status 1" "vmm: vmB: guest powered off, status 1"
        FAIL "status 99" EXIT)
endforeach()

# The first riscv64 VMs (H extension): the root task starts two VMMs; vm1's raw-binary guest runs in
# VS-mode under G-stage translation, prints through the emulated 16550 and the SBI debug console,
# makes the hypercall the kernel answers, and stops through SBI SRST with status 43; vm2's guest
# takes its own timer interrupt (Sstc: from vstimecmp, no exit) and stops with its cause, 5.
keel_add_qemu_test(vm/riscv64-raw-binary BOARD qemu-virt-riscv64 ARCH riscv64 INITRD_NAME vm-raw
    TIMEOUT 60 SMP 2 EXPECT "root: started vm1" "root: started vm2" "root: all programs done"
    "KEEL: power off"
    REQUIRE "vm1| guest: hello from a raw binary in VS-mode" "vm1| guest: and through the SBI debug console"
            "vmm: vm1: guest powered off, status 43" "vmm: vm2: guest powered off, status 5"
    EXIT)
# The same without Sstc: the guest's timer is the SBI one, kept by the kernel (set_timer answered
# there, VSTIP raised when it is due).
keel_add_qemu_test(vm/riscv64-raw-binary-no-sstc BOARD qemu-virt-riscv64 ARCH riscv64 INITRD_NAME vm-raw
    TIMEOUT 60 SMP 2 CPU rv64,h=true,sstc=false EXPECT "riscv: H extension, 14 VMID bits, G-stage Sv48x4"
    "root: all programs done" "KEEL: power off"
    REQUIRE "vmm: vm1: guest powered off, status 43" "vmm: vm2: guest powered off, status 5"
    FAIL "VMID bits, Sstc" EXIT)
# Without Sstc a guest that spins with interrupts on (no exit to wait for) still gets its 100 timer
# interrupts and its 16550's: the interrupt-delivery benchmark's guest (it stops with status 0).
keel_add_qemu_test(vm/riscv64-sbi-timer-busy-guest BOARD qemu-virt-riscv64 ARCH riscv64
    INITRD_NAME vm-irq-bench TIMEOUT 60 SMP 1 CPU rv64,h=true,sstc=false
    EXPECT "bench: virq-timer" "bench: virq-device" "vmm: vm1: guest powered off, status 0"
    "KEEL: power off" FAIL "VMID bits, Sstc" EXIT)

# Two riscv64 guests on one hart keep their own FP registers (left in the hart after a run, reloaded
# when the other vCPU has used them).
keel_add_qemu_test(vm/riscv64-fp-two-guests-one-hart BOARD qemu-virt-riscv64 ARCH riscv64 INITRD_NAME vm-fp
    TIMEOUT 60 SMP 1 EXPECT "root: started vmA" "root: started vmB" "root: all programs done" "KEEL: power off"
    REQUIRE "vmm: vmA: guest powered off, status 1" "vmm: vmB: guest powered off, status 1"
    FAIL "status 99" EXIT)

# Isolation on riscv64: vm1's VMM is stopped by the system while its guest runs; vm2's guest gives its
# VMM bad input (no device there, a store too wide, an FP load from MMIO, a jump outside RAM, unknown
# SBI calls, a buffer outside RAM, a hart started outside RAM or at an odd address) and tries
# hypervisor CSRs and fences (access faults and illegal-instruction traps of its own); it starts its
# second hart, which finds its hart id in a0 and hart_start's opaque value in a1; it runs to its end.
keel_add_qemu_test(vm/riscv64-isolation BOARD qemu-virt-riscv64 ARCH riscv64 INITRD_NAME vm-isolation
    TIMEOUT 90 SMP 2
    EXPECT "root: started vm1" "root: started vm2" "vm1| tick" "root: vm1 stopped by the system"
           "root: all programs done" "KEEL: power off"
    REQUIRE "vmm: vm2: guest read of 4 bytes at 0x50000000: no device there"
            "vmm: vm2: guest write of 8 bytes at 0x10000000: refused by ns16550a"
            "vmm: vm2: guest access at 0x10000000 by an instruction the VMM cannot decode"
            "vmm: vm2: guest fetch at 0x50000000 outside its RAM: access fault injected"
            "vm2| attack: hart 1 started with its hart id in a0, opaque in a1"
            "vm2| attack: done"
            "vmm: vm2: guest powered off, status 0"
    FAIL "status 99" EXIT)

# x86_64 (QEMU q35): the kernel test suite.
keel_add_qemu_test(ktest/x86_64-smp1 BOARD q35-x86_64 ARCH x86_64 INITRD TIMEOUT 300
    SMP 1 EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT)
keel_add_qemu_test(ktest/x86_64-smp4 BOARD q35-x86_64 ARCH x86_64 INITRD TIMEOUT 300
    SMP 4 MEMORY 3G EXPECT "KTEST DONE: " " 0 failed" "KEEL: power off" EXIT
    REQUIRE "ktest: a GiB mapped on twice")
# Isolation (dts/systems/vm-isolation-arm64.dts): vm1's VMM is stopped by the system while its
# guest runs. vm2's guest (vmm/guests/arm64/attack/attack.c) attacks its VMM as a malicious driver:
# bad MMIO (read-only and write-only registers, wrong widths, unaligned, no device, beyond RAM, no
# syndrome, code outside RAM, a flood), GIC garbage, bad PSCI calls (and PSCI/SMCCC 1.1 discovery,
# CPU_SUSPEND, the SMC32 forms), and broken virtio setups,
# descriptors, chains, indirect tables, block requests and frames; it checks every answer itself
# (FAIL: lines) and ends with a good read of sector 0. First (attack_pci.c) it attacks its PCI
# host bridge and two virtio-pci functions (rng in slot 1, the disk in slot 2): absent functions,
# ECAM accesses of 8 bytes or misaligned, read-only header fields, the extended space, BARs sized,
# moved onto RAM, the GIC, the ECAM window, each other and out of the window, decoding off; MSI-X
# entries aimed at RAM and 2^64-16, data naming no SPI, masked vectors, PBA writes, narrow table
# accesses; rings and buffers outside RAM or in a BAR, notifications of absent queues, a wide ISR
# read, the PCI cfg access capability with bad BARs, lengths and offsets. Then (attack_fwcfg.c) its
# fw_cfg: signature, ID, items, FILE_DIR, the file (the test disk) through the data register and by
# DMA; DMA buffers and descriptors outside RAM, a DMA write, reads past the end, absent selectors,
# and a read of the selector (its one report). After the MMIO steps (attack_flash.c) its CFI flash:
# a read-only bank holding the test disk and a writable one, erased (dts/vms/attack-arm64.dts):
# CFI query, read ID and status reads from the model with the bank unmapped (a load pair there
# takes an abort), the array mapped again after 0xff; program, erase and buffered program refused
# by the read-only bank (error bits, contents unchanged); buffer counts over the buffer, data
# outside its window, bad confirms (nothing written); program and erase of the writable bank,
# with nothing changed past its blocks (the other bank, the end of RAM and the writable disk's
# copy, which lie beside it in the VMM); a write just past the bank (the budget's 64th line). The
# VMM's count of each bank's switches out of read-array mode must match the steps' commands.
# vm3's guest (worker.c) reads the same disk from before vm2 says (over their virtio-net link)
# that the attack starts until it says it is done.
# The VMM must log one line per bad input (counted per device; bad accesses, misdirected MSIs and
# odd ECAM accesses up to its budget of 64, then one line says the rest is dropped: "vmm: vm2:
# guest " counts 61 of those 64 and the power-off line, the other three are the ECAM and MSI
# lines), survive, and leave vm3 untouched.
keel_add_qemu_test(vm/arm64-isolation BOARD qemu-virt-arm64 ARCH arm64 INITRD_NAME vm-isolation
    TIMEOUT 120 SMP 2
    EXPECT "root: started vm1" "root: started vm2" "root: started vm3"
           "vm3| worker: reading its disk" "vm3| worker: the attacker started"
           "vm2| attack: final read of sector 0: ok" "vm3| worker: the attacker is done"
           "vm3| worker: done" "all correct"
           "vmm: vm3: guest powered off, status 0" "root: all programs done" "KEEL: power off"
    REQUIRE "vm1| tick" "root: vm1 stopped by the system" "vm2| attack: all 163 steps passed"
            "vmm: vm2: guest powered off, status 0" "root: vm2 exited with status 0"
            "root: vm3 exited with status 0"
            "vmm: vm2: guest write of 4 bytes at 0xa000000: refused by blk"
            "vmm: vm2: guest read of 4 bytes at 0xa000050: refused by blk"
            "vmm: vm2: guest read of 1 bytes at 0xa000000: refused by blk"
            "vmm: vm2: guest read of 4 bytes at 0xa000071: refused by blk"
            "vmm: vm2: guest read of 8 bytes at 0xa0001fc: refused by blk"
            "vmm: vm2: guest read of 4 bytes at 0xa000a00: no device there"
            "vmm: vm2: guest read of 1 bytes at 0x41000000: no device there"
            "vmm: vm2: guest access at 0xa000000 without a syndrome"
            "vmm: vm2: guest runs code at 0x41000000, outside RAM: abort injected"
            "vmm: vm2: further reports of the guest's bad accesses suppressed"
            "virtio-blk: queue 0: descriptor 1: buffer 0x41000000+0x200 outside RAM"
            "virtio-blk: queue 0: descriptor 1: buffer 0xffffffffffffff00+0x200 outside RAM"
            "virtio-blk: queue 0: chain at 0 longer than its table (8): a loop?"
            "virtio-blk: queue 0: descriptor 1: next 8 beyond the table (8)"
            "virtio-blk: queue 0: available index jumped from 0 to 9 (size 8)"
            "virtio-blk: queue 0: request 0: no room for the header or the status"
            "virtio-rng: queue 0: bad size 7"
            "virtio-rng: queue 0: descriptor area at 0xfffffffffffffff0 (0x80 bytes) is outside RAM"
            "virtio-rng: queue 0: chain at 0 longer than 4 GiB"
            "virtio-console: queue 1: descriptor 0: indirect inside an indirect table"
            "virtio-console: queue 1: descriptor 0: indirect table of a bad length (0x40000000+0x10"
            "vm2:hvc| attack: through an indirect table"
            "virtio-net: transmit frame of 2000 bytes dropped"
            "virtio-net: queue 1: transmit chain 0: shorter than the header"
            "vmm: vm2: guest read of 2 bytes at 0xc000012: no device there"
            "vmm: vm2: guest write of 1 bytes at 0xc000014: no device there"
            "vmm: vm2: guest read of 4 bytes at 0x10000004: refused by pci-mem32"
            "vmm: vm2: guest read of 2 bytes at 0x9020008: refused by fw-cfg"
            "vmm: vm2: MSI to 0x40800000 (data 0x60): not the GICv3's GICD_SETSPI_NSR"
            "vmm: vm2: MSI to 0xfffffffffffffff0 (data 0xffffffff): not the GICv3's"
            "vmm: vm2: guest write of 4 bytes at 0x10008800: refused by pci-mem32"
            "vmm: vm2: guest read of 1 bytes at 0x10008008: refused by pci-mem32"
            "vmm: vm2: guest write of 1 bytes at 0x1000800c: refused by pci-mem32"
            "vmm: vm2: guest write of 2 bytes at 0x10007014: refused by pci-mem32"
            "virtio-blk: queue 0: descriptor area at 0x41000000 (0x80 bytes) is outside RAM"
            "virtio-blk: queue 0: driver area at 0x10000000 (0x16 bytes) is outside RAM"
            "virtio-blk: queue 0: descriptor 1: buffer 0x10000000+0x200 outside RAM"
            "virtio-blk: queue 9, which does not exist, configured"
            "virtio-rng: PCI cfg access to BAR 2 offset 0x12 length 2 refused"
            "virtio-rng: PCI cfg access to BAR 4 offset 0x12 length 3 refused"
            "vmm: vm2: guest write of 4 bytes at 0x4100000: no device there"
            "vmm: vm2: flash bank 0 at 0x4000000 (attack-disk.img, read-only): 8 commands"
            "vmm: vm2: flash bank 1 at 0x4040000 (erased): 26 commands took it out of read-array"
    COUNT "vmm: vm2: guest " 62 "vmm: vm2: virtio_mmio@a000000: " 17
          "vmm: vm2: virtio_mmio@a000200: " 1 "vmm: vm2: virtio_mmio@a000400: " 20
          "vmm: vm2: virtio_mmio@a000600: " 10 "vmm: vm2: virtio_mmio@a000800: " 2
          "vmm: vm2: virtio@1: " 9 "vmm: vm2: virtio@2: " 9
          "vmm: vm2: PCI: configuration access of an odd width or misaligned, ignored" 1
    FAIL "stopping the VM" "resume refused" "messages suppressed" "vmm: vm3: guest read"
         "vmm: vm3: guest write" "vmm: vm3: virtio_mmio"
    EXIT)
