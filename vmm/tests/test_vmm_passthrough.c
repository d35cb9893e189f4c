// SPDX-License-Identifier: MIT
/*
 * Host tests of the VMM's passed-through board devices (vmm/dev/passthrough.c, compiled in here,
 * with the arm64 VMM's headers): two devices of one VM, each with its own line, message label and
 * end-of-interrupt hook; a third refused (VM_MAX_PASSTHROUGH); windows that overlap guest RAM,
 * memory the guest runs from, an emulated device or another node's reg refused, as are a line
 * passed through twice and a second keel,direct; then the direct delivery: given before vCPU 0's
 * resume, once, ended when vCPU 0 is off (PSCI CPU_OFF), given again when it is on and after a
 * reset of the VM, and through the VMM for good when the kernel refuses it. The VM's tree is
 * passthrough.dts; the kernel calls are recorded (tests/unit/host/sys_arch.h); the interrupt
 * controller model's hooks are fakes below.
 */
#include "unit.h"
#include "dev/passthrough.c"
#include <stdlib.h>

struct keel_utcb host_utcb;
struct host_call host_calls[HOST_MAX_CALLS];
unsigned host_call_count;
int64_t host_result;

static struct vm vm;
static struct keel_progenv env;
static const void *fdt;

const struct keel_progenv *rt_progenv(void)
{
    return &env;
}

/* As arm64's: the GIC's three cells, an SPI. */
bool arch_device_irq(const void *tree, int node, unsigned *intid)
{
    int len;
    const fdt32_t *p = fdt_getprop(tree, node, "interrupts", &len);
    if (!p || len < 12 || fdt32_ld(&p[0]) != 0) {
        return false;
    }
    *intid = 32 + fdt32_ld(&p[1]);
    return true;
}

/* The model's passthrough lines (as vgic.c keeps them: one hook each, VM_MAX_PASSTHROUGH). */
static struct {
    unsigned intid;
    void (*eoi)(void *ctx);
    void *ctx;
} hooks[VM_MAX_PASSTHROUGH];
static unsigned hook_count, direct_intid;

int arch_vm_irq_passthrough(struct vm *v, unsigned intid, void (*end)(void *ctx), void *ctx)
{
    CHECK(v == &vm);
    for (unsigned i = 0; i < hook_count; i++) {
        if (hooks[i].intid == intid) {
            return -1;
        }
    }
    if (hook_count == VM_MAX_PASSTHROUGH) {
        return -1;
    }
    hooks[hook_count].intid = intid;
    hooks[hook_count].eoi = end;
    hooks[hook_count++].ctx = ctx;
    return 0;
}

void arch_vm_irq_direct(struct vm *v, unsigned intid)
{
    CHECK(v == &vm);
    direct_intid = intid;
}

static unsigned irq_set_intid;
static bool irq_set_level;

void vm_irq_set(struct vm *v, unsigned intid, bool level)
{
    CHECK(v == &vm);
    irq_set_intid = intid;
    irq_set_level = level;
}

static int node(const char *path)
{
    int n = fdt_path_offset(fdt, path);
    if (n < 0) {
        fprintf(stderr, "no %s in passthrough.dts\n", path);
        exit(1);
    }
    return n;
}

/* How many recorded calls are op on cap (with first argument mr1, unless ~0). */
static unsigned calls(uint64_t cap, uint64_t op, uint64_t mr1)
{
    unsigned n = 0;
    for (unsigned i = 0; i < host_call_count; i++) {
        const struct host_call *c = &host_calls[i];
        n += c->cap == cap && c->op == op && (mr1 == ~0ull || c->mr[0] == mr1);
    }
    return n;
}

static void setup(void)
{
    static const char *const names[] = { "a", "b", "c", "wide" };
    for (unsigned i = 0; i < 4; i++) {
        struct keel_prog_device *pd = &env.devices[i];
        strcpy(pd->name, names[i]);
        pd->va = KEEL_PROG_DEVICE_VA(i);
        pd->pa = 0x9000000 + 0x10000 * i;
        pd->size = i == 3 ? 0x2000 : 0x1000;
        pd->irq = KEEL_PROG_DEVICE_IRQ(i);
    }
    env.device_count = 4;
    vm.name = "vm";
    vm.task = 50;
    vm.ram_base = gpa_init(0x40000000);
    vm.ram_size = 0x1000000;
    vm.roms[0].base = gpa_init(0x100000);
    vm.roms[0].size = 0x100000;
    vm.rom_count = 1;
    vm.devices[0] =
        (struct mmio_device){ .name = "pl011", .base = gpa_init(0x9000000), .size = 0x1000 };
    vm.device_count = 1;
    for (unsigned i = 0; i < 2; i++) {
        vm.vcpus[i].vm = &vm;
        vm.vcpus[i].id = i;
        vm.vcpus[i].thread = 60 + i;
        vm.vcpus[i].kick = 70 + i;
    }
    vm.vcpu_count = 2;
}

static void test_devices(void)
{
    /* Two devices: each mapped, attached to vCPU 0's thread with its label, unmasked. */
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/a@9010000")), 0);
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/b@9020000")), 0);
    CHECK_EQ(dev_count, 2);
    CHECK_EQ(calls(vm.task, KEEL_TASK_MAP, KEEL_ROOT_TASK), 2);
    CHECK_EQ(calls(24, KEEL_IRQ_ATTACH, 60), 1);
    CHECK_EQ(calls(25, KEEL_IRQ_ATTACH, 60), 1);
    CHECK_EQ(calls(24, KEEL_IRQ_UNMASK, ~0ull), 1);
    CHECK_EQ(calls(25, KEEL_IRQ_UNMASK, ~0ull), 1);
    CHECK_EQ(hook_count, 2);
    /* A third is refused; so are windows on RAM, a ROM, an emulated device, another node. */
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/c@9030000")), -1);
    dev_count = 1; /* (as if b were not there: each refusal below is for its own reason) */
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/inram@40001000")), -1);
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/onrom@100000")), -1);
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/onuart@9000000")), -1);
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/wide@9100000")), -1); /* its 2nd page */
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/ongic@80b0000")), -1);
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/sameirq@9040000")), -1);
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/seconddirect@9050000")), -1);
    CHECK_EQ(dev_count, 1);
    dev_count = 2;
    CHECK_EQ(calls(vm.task, KEEL_TASK_MAP, KEEL_ROOT_TASK), 2); /* nothing mapped for them */

    /* Messages and ends: each device's own. */
    CHECK(passthrough_message(&vm.vcpus[0], LABEL_BASE + 1));
    CHECK_EQ(irq_set_intid, 35);
    CHECK(irq_set_level);
    CHECK(!passthrough_message(&vm.vcpus[0], LABEL_BASE + 2));
    CHECK(!passthrough_message(&vm.vcpus[1], LABEL_BASE));
    host_call_count = 0;
    hooks[1].eoi(hooks[1].ctx);
    CHECK_EQ(hooks[1].intid, 35);
    CHECK_EQ(calls(25, KEEL_IRQ_UNMASK, ~0ull), 1);
    CHECK_EQ(calls(24, KEEL_IRQ_UNMASK, ~0ull), 0);
    hooks[0].eoi(hooks[0].ctx);
    CHECK_EQ(calls(24, KEEL_IRQ_UNMASK, ~0ull), 1);
}

static void test_direct(void)
{
    struct vcpu *v0 = &vm.vcpus[0], *v1 = &vm.vcpus[1];
    host_call_count = 0;
    passthrough_before_resume(v1); /* (not the target) */
    CHECK_EQ(host_call_count, 0);
    passthrough_before_resume(v0);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, 60), 1);
    CHECK_EQ(host_calls[0].mr[1], 34);
    CHECK_EQ(host_calls[0].mr[2], 70);
    CHECK_EQ(direct_intid, 34);
    CHECK_EQ(calls(25, KEEL_IRQ_DIRECT, ~0ull), 0); /* b: through the VMM */
    passthrough_before_resume(v0);
    CHECK_EQ(host_call_count, 1); /* given already */

    /* vCPU 0 off: ended, once; on again: given again. */
    passthrough_vcpu_off(v1);
    CHECK_EQ(host_call_count, 1);
    passthrough_vcpu_off(v0);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, ~0ull), 2);
    CHECK_EQ(host_calls[1].mr[0], ~0ull);
    CHECK_EQ(direct_intid, 0);
    passthrough_vcpu_off(v0);
    CHECK_EQ(host_call_count, 2);
    passthrough_before_resume(v0);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, 60), 2);
    CHECK_EQ(direct_intid, 34);

    /* A reset of the VM (its new Thread VCPU binding ended it): given again. */
    vm.reset_gen++;
    passthrough_before_resume(v0);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, 60), 3);
    passthrough_before_resume(v0);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, 60), 3);

    /* Refused by the kernel: through the VMM from then on. */
    vm.reset_gen++;
    host_result = -KEEL_EPROTO;
    passthrough_before_resume(v0);
    host_result = 0;
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, 60), 4);
    CHECK_EQ(direct_intid, 0);
    CHECK(!devs[0].direct);
    passthrough_vcpu_off(v0);
    passthrough_before_resume(v0);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, ~0ull), 5); /* (3 given, 1 ended, 1 refused) */
}

/* keel,direct-after: through the VMM until that many came. */
static void test_direct_after(void)
{
    memset(devs, 0, sizeof(devs));
    dev_count = 0;
    hook_count = 0;
    host_call_count = 0;
    vm.device_count = 1;
    CHECK_EQ(passthrough_from_dt(&vm, fdt, node("/a@9010000")), 0);
    devs[0].direct_after = 2;
    passthrough_before_resume(&vm.vcpus[0]);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, ~0ull), 0);
    CHECK(passthrough_message(&vm.vcpus[0], LABEL_BASE));
    passthrough_before_resume(&vm.vcpus[0]);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, ~0ull), 0);
    CHECK(passthrough_message(&vm.vcpus[0], LABEL_BASE));
    passthrough_before_resume(&vm.vcpus[0]);
    CHECK_EQ(calls(24, KEEL_IRQ_DIRECT, 60), 1);
}

int main(void)
{
    static char buf[16384];
    FILE *f = fopen("passthrough.dtb", "rb");
    size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f) {
        fclose(f);
    }
    if (fdt_util_check(buf, n) != 0) {
        fprintf(stderr, "passthrough.dtb: not a device tree\n");
        return 1;
    }
    fdt = buf;
    setup();
    test_devices();
    test_direct();
    test_direct_after();
    return unit_done("test_vmm_passthrough");
}
