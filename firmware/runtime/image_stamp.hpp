// Which firmware image and run the progress in NVM belongs to. A real
// board's FRAM outlives reflashing: a new image (another model, policy or
// build) must never resume the progress an old one left, whose layers, jobs
// and tensor offsets mean something else; and a new flash of the same image
// is a new run, which starts from inference 1 (the flasher writes a new run
// nonce into the image each time). The stamp sits in its own NVM record; a
// boot that finds another image's stamp (or none) discards the progress
// first, then writes its own, so a power failure between the two only
// repeats the discard at the next boot.
#pragma once

#include <cstdint>

#include "nvm_record.hpp"
#include "progress_record.hpp"

namespace aidi::fw {

struct ImageStamp {
  std::uint32_t build;   // the first 32 bits of the firmware's build hash
  std::uint32_t model;   // the model file's stored CRC-32C
  std::uint32_t policy;  // proto::Policy
  std::uint32_t run;     // the run nonce the flasher wrote (a new one per flash; 0xFFFFFFFF: none)
};

inline constexpr std::uint32_t kImageStampMagic = 0x474D4941u;  // "AIMG"
inline constexpr std::uint32_t kImageStampBytes = NvmRecord<ImageStamp>::kBytes;

// The build hash's hex text (AIDI_BUILD_HASH) as a number: its first 8 digits.
constexpr std::uint32_t buildIdOf(const char* hex) {
  std::uint32_t id = 0;
  for (int i = 0; i < 8 && hex[i]; ++i) {
    const char c = hex[i];
    const std::uint32_t nibble = c >= '0' && c <= '9' ? static_cast<std::uint32_t>(c - '0')
                                 : c >= 'a' && c <= 'f' ? static_cast<std::uint32_t>(c - 'a' + 10)
                                 : c >= 'A' && c <= 'F' ? static_cast<std::uint32_t>(c - 'A' + 10)
                                                        : 0u;
    id = id << 4 | nibble;
  }
  return id;
}

// Makes the progress in `runtimeNvm` (a ProgressRecord at offset 0, as
// both runtimes keep it) this image's: true when another image's (or
// none) was discarded, false when it was already this image's. The stamp
// record lives at `stampOffset` of `stampNvm`.
inline bool claimProgress(Nvm& stampNvm, std::uint32_t stampOffset, Nvm& runtimeNvm, const ImageStamp& image) {
  NvmRecord<ImageStamp> stamp(stampNvm, stampOffset, kImageStampMagic);
  ImageStamp held{};
  if (stamp.load(held) && held.build == image.build && held.model == image.model && held.policy == image.policy &&
      held.run == image.run)
    return false;
  // Zeros fail both slots' magic: the runtimes see formatted NVM (Idle).
  constexpr std::uint32_t kZeros[8] = {};
  for (std::uint32_t at = 0; at < ProgressRecord::kBytes; at += sizeof kZeros) {
    const std::uint32_t n = ProgressRecord::kBytes - at < sizeof kZeros ? ProgressRecord::kBytes - at : sizeof kZeros;
    if (!runtimeNvm.write(at, kZeros, n)) return true;
  }
  (void)stamp.commit(image);
  return true;
}

}  // namespace aidi::fw
