// The virtual board's cycle-approximate Cortex-M4 timing (m4_cycles.h),
// checked on encodings the firmware's assembler produces, against the
// Cortex-M4 Technical Reference Manual's cycle counts (P = 2).
#include "m4_cycles.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {
unsigned cyclesOf(std::uint16_t hw1, std::uint16_t hw2 = 0, unsigned previousFlags = 0) {
  unsigned flags = 0;
  return m4Cycles(hw1, hw2, previousFlags, &flags);
}
}  // namespace

TEST(M4Cycles, DataProcessingAndMultipliesTakeOneCycleMultiplyAccumulateTwo) {
  EXPECT_EQ(cyclesOf(0x1888), 1u);          // adds r0, r1, r2
  EXPECT_EQ(cyclesOf(0xbf00), 1u);          // nop
  EXPECT_EQ(cyclesOf(0xfb01, 0xf002), 1u);  // mul.w
  EXPECT_EQ(cyclesOf(0xfb01, 0x3002), 2u);  // mla
  EXPECT_EQ(cyclesOf(0xfb01, 0x3012), 2u);  // mls
  EXPECT_EQ(cyclesOf(0xfb21, 0x3002), 1u);  // smlad: single-cycle DSP MAC
  EXPECT_EQ(cyclesOf(0xfb82, 0x0103), 1u);  // smull
  EXPECT_EQ(cyclesOf(0xfb91, 0xf0f2), 7u);  // sdiv
  EXPECT_EQ(cyclesOf(0xfbb1, 0xf0f2), 7u);  // udiv
}

TEST(M4Cycles, NeighbouringLoadsAndStoresPipeline) {
  unsigned flags = 0;
  EXPECT_EQ(m4Cycles(0x6848, 0, 0, &flags), 2u);  // ldr r0, [r1, #4] after an ALU op
  EXPECT_EQ(flags, unsigned(kM4SingleLoadStore));
  EXPECT_EQ(m4Cycles(0x6088, 0, flags, &flags), 1u);       // str r0, [r1, #8] right after it
  EXPECT_EQ(m4Cycles(0xf8d1, 0x0400, flags, &flags), 1u);  // ldr.w after the store
  EXPECT_EQ(m4Cycles(0x1888, 0, flags, &flags), 1u);
  EXPECT_EQ(flags, 0u) << "an ALU op breaks the chain";
  EXPECT_EQ(cyclesOf(0xe9d2, 0x0100), 3u);  // ldrd: 1 + N
}

TEST(M4Cycles, MultipleTransfersCostOnePlusTheirRegisters) {
  EXPECT_EQ(cyclesOf(0xb570), 5u);          // push {r4, r5, r6, lr}
  EXPECT_EQ(cyclesOf(0xbc30), 3u);          // pop {r4, r5}
  EXPECT_EQ(cyclesOf(0xbd70), 7u);          // pop {r4, r5, r6, pc}: + refill
  EXPECT_EQ(cyclesOf(0xc80e), 4u);          // ldmia r0!, {r1, r2, r3}
  EXPECT_EQ(cyclesOf(0xe92d, 0x4ff0), 10u); // push.w {r4-r11, lr}
  EXPECT_EQ(cyclesOf(0xe8bd, 0x8ff0), 12u); // pop.w {r4-r11, pc}: 1 + 9 + refill
}

TEST(M4Cycles, TakenBranchesRefillThePipeline) {
  EXPECT_EQ(cyclesOf(0xd1f5), 3u);          // bne.n backwards: a loop closing, taken
  EXPECT_EQ(cyclesOf(0xd029), 1u);          // beq.n forwards: not taken
  EXPECT_EQ(cyclesOf(0xe7f3), 3u);          // b.n
  EXPECT_EQ(cyclesOf(0x4770), 3u);          // bx lr
  EXPECT_EQ(cyclesOf(0x46f7), 3u);          // mov pc, lr
  EXPECT_EQ(cyclesOf(0xb100), 1u);          // cbz: never counted taken
  EXPECT_EQ(cyclesOf(0xf7ff, 0xffdf), 3u);  // bl
  EXPECT_EQ(cyclesOf(0xf47f, 0xafcf), 3u);  // bne.w backwards
  EXPECT_EQ(cyclesOf(0xf000, 0x8002), 1u);  // beq.w forwards
  EXPECT_EQ(cyclesOf(0xe8df, 0xf000), 4u);  // tbb
}

TEST(M4Cycles, FloatingPointDivideAndSquareRootAreSlow) {
  EXPECT_EQ(cyclesOf(0xee20, 0x0a81), 1u);   // vmul.f32
  EXPECT_EQ(cyclesOf(0xee80, 0x0a81), 14u);  // vdiv.f32
  EXPECT_EQ(cyclesOf(0xeeb1, 0x0ae0), 14u);  // vsqrt.f32
  EXPECT_EQ(cyclesOf(0xed90, 0x0a00), 2u);   // vldr
  EXPECT_EQ(cyclesOf(0xed2d, 0x8a04), 5u);   // vpush {s16-s19}
}
