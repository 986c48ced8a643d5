// The stubs behind activity_marks.hpp: one 2-byte `bx lr` per layer, and one
// for a commit. The bench's counting plugin marks their addresses
// (mark=FIRST-LAST:CODE), so a call costs the device three instructions and
// tells the bench, to the instruction, what the device turned to.
__asm__(
    "  .pushsection .text.aidi_activity_marks,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .balign 2\n"
    "  .global aidi_layer_marks\n"
    "  .global aidi_layer_marks_last\n"
    "  .global aidi_commit_mark\n"
    "  .thumb_func\n"
    "aidi_layer_marks:\n"
    "  .rept 255\n"
    "  bx lr\n"
    "  .endr\n"
    "aidi_layer_marks_last:\n"
    "  bx lr\n"
    "  .thumb_func\n"
    "aidi_commit_mark:\n"
    "  bx lr\n"
    "  .popsection\n");
