/* Cycle-approximate cost of one Thumb/Thumb-2 instruction on a Cortex-M4
 * without flash wait states, after the Cortex-M4 Technical Reference Manual
 * (ARM DDI 0439B, section 3.3 "Instruction set summary", cycle counts), with
 * the pipeline refill P of a taken branch taken as 2 (the manual gives 1..3).
 * What a translation-time count cannot see is approximated and said here:
 *  - a conditional branch is counted taken when it jumps backwards (a loop
 *    closing) and not taken when it jumps forwards; CBZ/CBNZ never taken;
 *  - a single load or store costs 2, or 1 right after another single load
 *    or store (the manual's pipelined neighbours);
 *  - SDIV/UDIV cost 7 (the manual: 2..12 with early termination);
 *  - VDIV/VSQRT cost 14; other FPU data-processing 1, FPU loads/stores 2
 *    or 1 + registers for VLDM/VSTM/VPUSH/VPOP;
 *  - exception entry and exit (12 cycles each) are not instructions and are
 *    not counted.
 * Plain C so the QEMU plugin and the host tests share it. */
#ifndef AIDI_M4_CYCLES_H
#define AIDI_M4_CYCLES_H

#include <stdint.h>

enum { kM4Refill = 2, kM4Divide = 7, kM4FpDivide = 14 };

/* Flags of the instruction, for its successor's pipelining. */
enum { kM4SingleLoadStore = 1 };

static inline unsigned m4PopCount(uint32_t v) {
  unsigned n = 0;
  for (; v; v &= v - 1) ++n;
  return n;
}

/* `hw1`, `hw2`: the instruction's halfwords (hw2 unused for a 16-bit one);
 * `previousFlags`: the flags the previous instruction of the same
 * straight-line block returned through `flags`. */
static inline unsigned m4Cycles(uint16_t hw1, uint16_t hw2, unsigned previousFlags, unsigned* flags) {
  const unsigned single = (previousFlags & kM4SingleLoadStore) ? 1u : 2u;
  *flags = 0;
  const unsigned top5 = hw1 >> 11;
  if (top5 != 0x1D && top5 != 0x1E && top5 != 0x1F) {
    /* 16-bit */
    if ((hw1 >> 12) == 0x5 || (hw1 >> 13) == 0x3 || (hw1 >> 12) == 0x8 || (hw1 >> 12) == 0x9 || top5 == 0x09) {
      *flags = kM4SingleLoadStore;
      return single;
    }
    if ((hw1 & 0xF600) == 0xB400) { /* PUSH / POP */
      const unsigned n = m4PopCount(hw1 & 0x1FF);
      const int popPc = (hw1 & 0x0800) && (hw1 & 0x0100);
      return 1 + n + (popPc ? kM4Refill : 0);
    }
    if ((hw1 >> 11) == 0x18 || (hw1 >> 11) == 0x19) return 1 + m4PopCount(hw1 & 0xFF); /* STM / LDM */
    if ((hw1 >> 12) == 0xD) { /* B<cond>, UDF, SVC */
      const unsigned cond = (hw1 >> 8) & 0xF;
      if (cond >= 0xE) return 1;
      return (hw1 & 0x80) ? 1 + kM4Refill : 1; /* backwards: taken */
    }
    if (top5 == 0x1C) return 1 + kM4Refill;                      /* B */
    if ((hw1 & 0xFF00) == 0x4700) return 1 + kM4Refill;          /* BX / BLX */
    if ((hw1 & 0xFD00) == 0x4400 && ((hw1 >> 4) & 8) + (hw1 & 7) == 15)
    return 1 + kM4Refill; /* ADD/MOV to PC */
    return 1;
  }
  /* 32-bit */
  if ((hw1 & 0xFE00) == 0xF800) { /* load/store single (incl. PLD) */
    *flags = kM4SingleLoadStore;
    return single;
  }
  if ((hw1 & 0xFE40) == 0xE840) { /* LDRD/STRD, LDREX/STREX, TBB/TBH */
    if ((hw1 & 0xFFF0) == 0xE8D0 && (hw2 & 0xFFE0) == 0xF000) return 2 + kM4Refill; /* TBB/TBH */
    if ((hw1 & 0x0120) == 0 && (hw1 & 0x0080) == 0) return 2;                        /* exclusives */
    return 3;                                                                           /* 1 + N, N = 2 */
  }
  if ((hw1 & 0xFE40) == 0xE800) { /* LDM/STM (incl. PUSH/POP .w) */
    const int loadsPc = (hw1 & 0x0010) && (hw2 & 0x8000);
    return 1 + m4PopCount(hw2) + (loadsPc ? kM4Refill : 0);
  }
  if ((hw1 & 0xF800) == 0xF000 && (hw2 & 0x8000)) { /* branches and misc control */
    if ((hw2 & 0xD000) == 0x9000 || (hw2 & 0xD000) == 0xD000) return 1 + kM4Refill; /* B.W, BL */
    if ((hw2 & 0xD000) == 0x8000 && ((hw1 >> 7) & 7) != 7)                            /* B<cond>.W */
      return (hw1 & 0x0400) ? 1 + kM4Refill : 1;
    return 1; /* MSR, MRS, barriers, hints */
  }
  if ((hw1 & 0xFF80) == 0xFB00) { /* multiply, multiply-accumulate, DSP MAC */
    const unsigned op1 = (hw1 >> 4) & 7, op2 = (hw2 >> 4) & 3, ra = hw2 >> 12;
    if (op1 == 0 && op2 == 0 && ra != 15) return 2; /* MLA */
    if (op1 == 0 && op2 == 1) return 2;             /* MLS */
    return 1;
  }
  if ((hw1 & 0xFF80) == 0xFB80) { /* long multiply (1 cycle on the M4), divide */
    const unsigned op1 = (hw1 >> 4) & 7, op2 = (hw2 >> 4) & 0xF;
    if ((op1 == 1 || op1 == 3) && op2 == 0xF) return kM4Divide;
    return 1;
  }
  if ((hw1 & 0xEE00) == 0xEC00 && (hw2 & 0x0E00) == 0x0A00) { /* FPU load/store */
    const unsigned opcode = (hw1 >> 4) & 0x1F;
    if ((opcode & 0x12) == 0x10) return 2; /* VLDR / VSTR */
    if ((opcode & 0x1E) == 0x04) return 1;                            /* VMOV core <-> two registers */
    return 1 + (hw2 & 0xFF) / ((hw2 & 0x0100) ? 2 : 1);               /* VLDM/VSTM/VPUSH/VPOP */
  }
  if ((hw1 & 0xEF00) == 0xEE00 && (hw2 & 0x0E10) == 0x0A00) { /* FPU data-processing */
    const unsigned opc1 = (hw1 >> 4) & 0xB, opc3 = (hw2 >> 6) & 3, opc2 = hw1 & 0xF;
    if (opc1 == 0x8) return kM4FpDivide;                           /* VDIV */
    if (opc1 == 0xB && opc2 == 1 && opc3 == 3) return kM4FpDivide; /* VSQRT */
    return 1;
  }
  return 1;
}

#endif
