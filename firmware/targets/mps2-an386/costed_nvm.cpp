// The busy waits behind costed_nvm.hpp, one per kind of transfer.
// Two instructions per iteration (SUBS, BNE): `cycles` instructions in all,
// give or take the call's four. Hand-written so that their extent is two
// symbols the bench reads from the ELF (its plugin's wait= range), whatever
// the compiler does to the code around them, and so that each kind's entry
// and return are addresses the plugin marks: the bench sees when the FRAM
// reads, writes or wakes, to the instruction, and powers it accordingly.
#define AIDI_NVM_WAIT(name)  \
  "  .global " name "\n"     \
  "  .global " name "_return\n" \
  "  .thumb_func\n"          \
  name ":\n"                 \
  "  lsrs r0, r0, #1\n"      \
  "  beq 2f\n"               \
  "1:\n"                     \
  "  subs r0, #1\n"          \
  "  bne 1b\n"               \
  "2:\n"                     \
  name "_return:\n"          \
  "  bx lr\n"

__asm__(
    "  .pushsection .text.aidi_nvm_wait,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .global aidi_nvm_wait\n"
    "  .global aidi_nvm_wait_end\n"
    "aidi_nvm_wait:\n"
    AIDI_NVM_WAIT("aidi_nvm_read_wait")
    AIDI_NVM_WAIT("aidi_nvm_write_wait")
    AIDI_NVM_WAIT("aidi_nvm_wake_wait")
    "aidi_nvm_wait_end:\n"
    "  .popsection\n");
