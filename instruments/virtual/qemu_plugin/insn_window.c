/* QEMU TCG plugin: exact counts of guest instructions executed between two
 * marker addresses, for instruction-per-MAC benchmarks on the virtual board.
 *
 *   -plugin libaidi_insn_window.so,start=0xADDR,stop=0xADDR,out=FILE
 *
 * Every executed instruction adds 1 to a counter (inline, no callback); the
 * first instruction at `start` snapshots it, the first at `stop` appends one
 * line "<window> <instructions>" to FILE. The count includes the marker calls
 * themselves; a benchmark subtracts an empty window. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_abi.h"

AIDI_QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t g_executed;
static uint64_t g_windowStart;
static uint64_t g_startAddress, g_stopAddress;
static unsigned g_windows;
static FILE* g_out;

static void onStart(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  (void)userdata;
  g_windowStart = g_executed;
}

static void onStop(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  (void)userdata;
  fprintf(g_out, "%u %" PRIu64 "\n", g_windows++, g_executed - g_windowStart);
  fflush(g_out);
}

static void onTranslate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t address = qemu_plugin_insn_vaddr(insn);
    if (address == g_startAddress)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, onStart, QEMU_PLUGIN_CB_NO_REGS, NULL);
    if (address == g_stopAddress)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, onStop, QEMU_PLUGIN_CB_NO_REGS, NULL);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_executed, 1);
  }
}

static void onExit(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  if (g_out) fclose(g_out);
}

AIDI_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc,
                                                char** argv) {
  (void)info;
  const char* out = NULL;
  for (int i = 0; i < argc; ++i) {
    const char* arg = argv[i];
    if (strncmp(arg, "arg=", 4) == 0) arg += 4; /* older QEMU syntax */
    if (strncmp(arg, "start=", 6) == 0) g_startAddress = strtoull(arg + 6, NULL, 0) & ~1ull;
    else if (strncmp(arg, "stop=", 5) == 0) g_stopAddress = strtoull(arg + 5, NULL, 0) & ~1ull;
    else if (strncmp(arg, "out=", 4) == 0) out = arg + 4;
  }
  if (!g_startAddress || !g_stopAddress || !out) {
    qemu_plugin_outs("aidi insn_window: needs start=ADDR,stop=ADDR,out=FILE\n");
    return -1;
  }
  g_out = fopen(out, "w");
  if (!g_out) {
    qemu_plugin_outs("aidi insn_window: cannot open the output file\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, onTranslate);
  qemu_plugin_register_atexit_cb(id, onExit, NULL);
  return 0;
}
