// SPDX-License-Identifier: MIT
/*
 * One end of a link (keel/progenv.h): two of these exchange ROUNDS messages both ways through the
 * link's shared memory, ringing each other's doorbell. End 0 writes first, end 1 answers. The
 * memory is split in two halves; end e writes only in half e:
 *
 *   half e:  seq (the round it holds, written last)  text ("ping 3")  data[DATA] (a pattern of
 *            the round and the end)
 *
 * A receiver checks the text and every data byte, and prints FAIL: on any difference or when the
 * doorbell does not come. With args "intruder" (no keel,links) it reads where a link would be and
 * must be stopped by the root task.
 */
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <string.h>
#include <format.h>

#define ROUNDS 3
#define DATA 8192
#define IRQ_LABEL 0x11
#define WAIT_US 2000000

struct half {
    uint64_t seq;
    char text[56];
    uint8_t data[DATA];
};

static uint8_t pattern(unsigned i, unsigned round, unsigned end)
{
    return (uint8_t)(i * 7 + round * 13 + end * 101);
}

static void fill(struct half *h, unsigned round, unsigned end)
{
    for (unsigned i = 0; i < DATA; i++) {
        h->data[i] = pattern(i, round, end);
    }
    snformat(h->text, sizeof(h->text), "%s %u", end == 0 ? "ping" : "pong", round);
    __atomic_store_n(&h->seq, round, __ATOMIC_RELEASE);
}

/* Waits until the peer's half holds `round`: looks first, then sleeps on the doorbell. */
static int await(const struct keel_prog_link *l, const struct half *h, unsigned round)
{
    while (__atomic_load_n(&h->seq, __ATOMIC_ACQUIRE) != round) {
        uint64_t label = 0;
        uint64_t tag = keel_receive(l->irq, WAIT_US, &label);
        if (keel_tag_is_error(tag) || label != IRQ_LABEL) {
            printf("%s: FAIL: round %u: no doorbell (%s)\n", rt_progenv()->name, round,
                   keel_strerror(keel_tag_is_error(tag) ? keel_ipc_error() : 0));
            return -1;
        }
    }
    return 0;
}

static int check(const struct half *h, unsigned round, unsigned end)
{
    char want[sizeof(h->text)];
    snformat(want, sizeof(want), "%s %u", end == 0 ? "ping" : "pong", round);
    if (strcmp(h->text, want) != 0) {
        printf("%s: FAIL: round %u: text \"%s\", not \"%s\"\n", rt_progenv()->name, round, h->text,
               want);
        return -1;
    }
    for (unsigned i = 0; i < DATA; i++) {
        if (h->data[i] != pattern(i, round, end)) {
            printf("%s: FAIL: round %u: data byte %u\n", rt_progenv()->name, round, i);
            return -1;
        }
    }
    return 0;
}

int main(void)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env) {
        return 1;
    }
    if (strcmp(env->args, "intruder") == 0) {
        printf("%s: reading 0x%lx without the link\n", env->name,
               (unsigned long)KEEL_PROG_LINK_VA(0));
        rt_flush();
        uint64_t v = *(volatile uint64_t *)(uintptr_t)KEEL_PROG_LINK_VA(0);
        printf("%s: FAIL: read link memory (0x%lx)\n", env->name, (unsigned long)v);
        return 1;
    }
    if (env->link_count != 1) {
        printf("%s: FAIL: %lu links, expected 1\n", env->name, (unsigned long)env->link_count);
        return 1;
    }
    const struct keel_prog_link *l = &env->links[0];
    unsigned end = (unsigned)l->end, peer = 1 - end;
    printf("%s: link %s end %u, %lu KiB at 0x%lx\n", env->name, l->name, end,
           (unsigned long)(l->size >> 10), (unsigned long)l->va);
    struct half *mine = (struct half *)(uintptr_t)(l->va + end * (l->size / 2));
    const struct half *theirs = (const struct half *)(uintptr_t)(l->va + peer * (l->size / 2));
    if (sizeof(struct half) > l->size / 2) {
        printf("%s: FAIL: link too small\n", env->name);
        return 1;
    }
    /* The peer's doorbell can be rung, not taken. */
    printf("%s: attach the peer's Irq: %s\n", env->name,
           keel_strerror(KOBJ(l->peer_irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 0)));
    int64_t r = KOBJ(l->irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, IRQ_LABEL);
    if (r != 0) {
        printf("%s: FAIL: attach its Irq: %s\n", env->name, keel_strerror(r));
        return 1;
    }
    for (unsigned round = 1; round <= ROUNDS; round++) {
        if (end == 0) {
            fill(mine, round, end);
            KOBJ(l->peer_irq, KEEL_IRQ_TRIGGER);
        }
        if (await(l, theirs, round) != 0 || check(theirs, round, peer) != 0) {
            return 1;
        }
        printf("%s: round %u: got \"%s\"\n", env->name, round, theirs->text);
        if (end == 1) {
            fill(mine, round, end);
            KOBJ(l->peer_irq, KEEL_IRQ_TRIGGER);
        }
    }
    printf("%s: %u round trips through %s done\n", env->name, ROUNDS, l->name);
    return 0;
}
