// What a failed assert() does on the boards (debug builds: the kernels check
// their calls, see AIDI_KERNEL_ASSERT). newlib's version would print through
// a heap and stdio the firmware does not have; this one stops at a breakpoint
// instruction, where a debugger attached through the probe shows the caller,
// and otherwise halts (the bench's timeout reports the run as failed).
extern "C" [[noreturn]] void __assert_func(const char* /*file*/, int /*line*/, const char* /*function*/,
                                           const char* /*condition*/) {
  __asm volatile("bkpt #0");
  for (;;) __asm volatile("wfi");
}
