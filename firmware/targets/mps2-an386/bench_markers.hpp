// The two marker functions whose calls delimit a measured window: the
// insn_window QEMU plugin counts the instructions executed between a call of
// aidi_bench_start and the next call of aidi_bench_stop. Include in exactly
// one source file of a benchmark firmware.
#pragma once

extern "C" __attribute__((noinline, used)) void aidi_bench_start() { __asm volatile("" ::: "memory"); }
extern "C" __attribute__((noinline, used)) void aidi_bench_stop() { __asm volatile("" ::: "memory"); }

// Runs `call` inside one window.
template <class Call>
void measureWindow(Call call) {
  aidi_bench_start();
  call();
  aidi_bench_stop();
}
