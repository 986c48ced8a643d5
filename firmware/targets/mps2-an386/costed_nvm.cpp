// The busy wait behind costed_nvm.hpp.
// Two instructions per iteration (SUBS, BNE): `cycles` instructions in all,
// give or take the call's four. Hand-written so that its extent is two
// symbols the bench reads from the ELF (its plugin's wait= range), whatever
// the compiler does to the code around it.
__asm__(
    "  .pushsection .text.aidi_nvm_wait,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .global aidi_nvm_wait\n"
    "  .global aidi_nvm_wait_end\n"
    "  .thumb_func\n"
    "aidi_nvm_wait:\n"
    "  lsrs r0, r0, #1\n"
    "  beq 2f\n"
    "1:\n"
    "  subs r0, #1\n"
    "  bne 1b\n"
    "2:\n"
    "  bx lr\n"
    "aidi_nvm_wait_end:\n"
    "  .popsection\n");
