/* QEMU TCG plugin: exact counts of guest instructions, and cycle-approximate
 * Cortex-M4 cycles (m4_cycles.h), executed between marker addresses.
 *
 *   -plugin libaidi_insn_window.so,start=0xADDR,stop=0xADDR,out=FILE
 *       every window from `start` to the next `stop` appends one line
 *       "<window> <instructions> <cycles>" to FILE (benchmarks, plain runs);
 *   -plugin libaidi_insn_window.so,window=0xSTART:0xSTOP,...,counters=FILE
 *       up to 4 windows summed over the whole run into FILE, a file of at
 *       least 64 bytes the bench created and reads while the board runs:
 *       u64 instructions and u64 cycles per window, in the order given;
 *   ...,wait=0xSTART:0xEND  (with either) instructions in [START, END) weigh
 *       one cycle each: the busy loop that stands for a peripheral's wait
 *       (the virtual FRAM's SPI transfer time, given in cycles by the board
 *       profile) lasts the cycles it is asked for, not the loop's own timing.
 *   ...,counters=FILE,marks=LOG,mark=ADDR:CODE,mark=FIRST-LAST:CODE,...
 *       every execution of a marked address appends {u64 cycles, u64
 *       instructions, u32 code, u32 0} to LOG, counted as window 0 less
 *       window 1 (what the bench charges to the device's energy budget), so
 *       the bench places the device's modes (an NVM transfer begins, ends;
 *       a layer's work begins; a commit) exactly in the stretch it runs. A
 *       range marks its 2-byte stubs FIRST, FIRST+2, ... with CODE, CODE+1,
 *       ... LOG: a header {u64 written, u64 0} and a ring of entries
 *       filling the file the bench created (it reads `written` to drain it
 *       and sees an overrun).
 *
 * Every executed instruction adds 1 and its cycle weight to two counters
 * (inline, no callback); the first instruction at a start address snapshots
 * them, at a stop address the difference is logged or summed. A window
 * opened twice before it closes (a reset in the middle) counts from the
 * second start. The count includes the marker calls themselves. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "m4_cycles.h"
#include "qemu_plugin_abi.h"

AIDI_QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

enum { kMaxWindows = 4 };

struct Window {
  uint64_t start, stop;
  uint64_t instructionsAtStart, cyclesAtStart;
  int open;
  unsigned closed;
};

static uint64_t g_instructions, g_cycles;
static struct Window g_windows[kMaxWindows];
static unsigned g_windowCount;
static FILE* g_log;                 /* out=FILE: one line per closed window */
static volatile uint64_t* g_sums;   /* counters=FILE: per window, instructions and cycles */
static uint64_t g_waitStart, g_waitEnd; /* wait=: one cycle per instruction */

enum { kMaxMarks = 16 };
struct Mark {
  uint64_t first, last; /* a range of 2-byte stubs; first == last for one address */
  uint32_t code;
};
struct MarkEntry {
  uint64_t cycles, instructions;
  uint32_t code, reserved;
};
static struct Mark g_marks[kMaxMarks];
static unsigned g_markCount;
static volatile uint64_t* g_markHeader; /* marks=LOG: entries written so far */
static struct MarkEntry* g_markRing;
static uint64_t g_markCapacity;

static void onStart(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  struct Window* w = userdata;
  w->instructionsAtStart = g_instructions;
  w->cyclesAtStart = g_cycles;
  w->open = 1;
}

static void onStop(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  struct Window* w = userdata;
  if (!w->open) return;
  w->open = 0;
  const uint64_t instructions = g_instructions - w->instructionsAtStart, cycles = g_cycles - w->cyclesAtStart;
  if (g_log) {
    fprintf(g_log, "%u %" PRIu64 " %" PRIu64 "\n", w->closed, instructions, cycles);
    fflush(g_log);
  }
  if (g_sums) {
    const size_t i = (size_t)(w - g_windows);
    g_sums[2 * i] += instructions;
    g_sums[2 * i + 1] += cycles;
  }
  ++w->closed;
}

/* Window `i`'s sums as of now, counting its open stretch. */
static uint64_t windowSoFar(unsigned i, int cycles) {
  const struct Window* w = &g_windows[i];
  uint64_t sum = g_sums[2 * i + (cycles ? 1 : 0)];
  if (w->open) sum += cycles ? g_cycles - w->cyclesAtStart : g_instructions - w->instructionsAtStart;
  return sum;
}

static void onMark(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  const uint32_t code = (uint32_t)(uintptr_t)userdata;
  uint64_t cycles = windowSoFar(0, 1), instructions = windowSoFar(0, 0);
  if (g_windowCount > 1) {
    cycles -= windowSoFar(1, 1);
    instructions -= windowSoFar(1, 0);
  }
  const uint64_t n = *g_markHeader;
  struct MarkEntry* e = &g_markRing[n % g_markCapacity];
  e->cycles = cycles;
  e->instructions = instructions;
  e->code = code;
  e->reserved = 0;
  __atomic_store_n(g_markHeader, n + 1, __ATOMIC_RELEASE);
}

static void onTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  unsigned flags = 0;
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t address = qemu_plugin_insn_vaddr(insn);
    for (unsigned k = 0; k < g_windowCount; ++k) {
      if (address == g_windows[k].start)
        qemu_plugin_register_vcpu_insn_exec_cb(insn, onStart, QEMU_PLUGIN_CB_NO_REGS, &g_windows[k]);
      if (address == g_windows[k].stop)
        qemu_plugin_register_vcpu_insn_exec_cb(insn, onStop, QEMU_PLUGIN_CB_NO_REGS, &g_windows[k]);
    }
    if (g_markRing)
      for (unsigned k = 0; k < g_markCount; ++k)
        if (address >= g_marks[k].first && address <= g_marks[k].last && (address - g_marks[k].first) % 2 == 0)
          qemu_plugin_register_vcpu_insn_exec_cb(
              insn, onMark, QEMU_PLUGIN_CB_NO_REGS,
              (void*)(uintptr_t)(g_marks[k].code + (uint32_t)((address - g_marks[k].first) / 2)));
    const uint8_t* bytes = qemu_plugin_insn_data(insn);
    const size_t size = qemu_plugin_insn_size(insn);
    const uint16_t hw1 = (uint16_t)(bytes[0] | bytes[1] << 8);
    const uint16_t hw2 = size >= 4 ? (uint16_t)(bytes[2] | bytes[3] << 8) : 0;
    unsigned cycles = m4Cycles(hw1, hw2, flags, &flags);
    if (address >= g_waitStart && address < g_waitEnd) cycles = 1;
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_instructions, 1);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_cycles, cycles);
  }
}

static void onExit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  if (g_log) fclose(g_log);
}

static int addWindow(uint64_t start, uint64_t stop) {
  if (g_windowCount == kMaxWindows || !start || !stop) return -1;
  g_windows[g_windowCount].start = start & ~1ull;
  g_windows[g_windowCount].stop = stop & ~1ull;
  ++g_windowCount;
  return 0;
}

/* "ADDR:CODE" or "FIRST-LAST:CODE". */
static int addMark(const char* text) {
  char* end = NULL;
  if (g_markCount == kMaxMarks) return -1;
  struct Mark* m = &g_marks[g_markCount];
  m->first = strtoull(text, &end, 0) & ~1ull;
  m->last = m->first;
  if (end && *end == '-') m->last = strtoull(end + 1, &end, 0) & ~1ull;
  if (!end || *end != ':' || !m->first || m->last < m->first) return -1;
  m->code = (uint32_t)strtoul(end + 1, NULL, 0);
  ++g_markCount;
  return 0;
}

/* Maps LOG: the header and as many entries as the file holds. */
static int openMarks(const char* path) {
  const int fd = open(path, O_RDWR);
  if (fd < 0) return -1;
  const off_t size = lseek(fd, 0, SEEK_END);
  void* map = size >= 16 + (off_t)sizeof(struct MarkEntry)
                  ? mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
  close(fd);
  if (map == MAP_FAILED) return -1;
  g_markHeader = map;
  g_markRing = (struct MarkEntry*)((char*)map + 16);
  g_markCapacity = ((uint64_t)size - 16) / sizeof(struct MarkEntry);
  return 0;
}

AIDI_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc,
                                                char** argv) {
  (void)info;
  const char *out = NULL, *counters = NULL, *marks = NULL;
  uint64_t start = 0, stop = 0;
  for (int i = 0; i < argc; ++i) {
    const char* arg = argv[i];
    if (strncmp(arg, "arg=", 4) == 0) arg += 4; /* older QEMU syntax */
    if (strncmp(arg, "start=", 6) == 0) start = strtoull(arg + 6, NULL, 0);
    else if (strncmp(arg, "stop=", 5) == 0) stop = strtoull(arg + 5, NULL, 0);
    else if (strncmp(arg, "out=", 4) == 0) out = arg + 4;
    else if (strncmp(arg, "counters=", 9) == 0) counters = arg + 9;
    else if (strncmp(arg, "marks=", 6) == 0) marks = arg + 6;
    else if (strncmp(arg, "mark=", 5) == 0) {
      if (addMark(arg + 5) != 0) {
        qemu_plugin_outs("aidi insn_window: mark=ADDR:CODE or FIRST-LAST:CODE (at most 16 marks)\n");
        return -1;
      }
    }
    else if (strncmp(arg, "wait=", 5) == 0) {
      char* colon = NULL;
      g_waitStart = strtoull(arg + 5, &colon, 0) & ~1ull;
      g_waitEnd = colon && *colon == ':' ? strtoull(colon + 1, NULL, 0) : 0;
      if (g_waitEnd <= g_waitStart) {
        qemu_plugin_outs("aidi insn_window: wait=START:END needs two ascending addresses\n");
        return -1;
      }
    } else if (strncmp(arg, "window=", 7) == 0) {
      char* colon = NULL;
      const uint64_t from = strtoull(arg + 7, &colon, 0);
      if (!colon || *colon != ':' || addWindow(from, strtoull(colon + 1, NULL, 0)) != 0) {
        qemu_plugin_outs("aidi insn_window: window=START:STOP needs two addresses (at most 4 windows)\n");
        return -1;
      }
    }
  }
  if (out) {
    if (addWindow(start, stop) != 0 || g_windowCount != 1) {
      qemu_plugin_outs("aidi insn_window: out=FILE needs start=ADDR,stop=ADDR and no window=\n");
      return -1;
    }
    g_log = fopen(out, "w");
    if (!g_log) {
      qemu_plugin_outs("aidi insn_window: cannot open the output file\n");
      return -1;
    }
  } else if (counters) {
    const int fd = open(counters, O_RDWR);
    void* map = fd < 0 ? MAP_FAILED : mmap(NULL, 16 * kMaxWindows, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0) close(fd);
    if (map == MAP_FAILED || g_windowCount == 0) {
      qemu_plugin_outs("aidi insn_window: counters=FILE needs an existing 64-byte file and window=START:STOP\n");
      return -1;
    }
    g_sums = map;
    if (marks && openMarks(marks) != 0) {
      qemu_plugin_outs("aidi insn_window: marks=LOG needs an existing file of a header and at least one entry\n");
      return -1;
    }
  } else {
    qemu_plugin_outs("aidi insn_window: needs start=,stop=,out=FILE or window=START:STOP,counters=FILE\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, onTranslate);
  qemu_plugin_register_atexit_cb(id, onExit, NULL);
  return 0;
}
