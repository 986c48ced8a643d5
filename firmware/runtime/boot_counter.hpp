// The device's boot counter, kept in NVM. Its low 16 bits are the boot id
// every telemetry frame carries, so the host can tell power cycles apart.
#pragma once

#include <cstdint>

#include "atomic_record.hpp"

namespace aidi::fw {

struct BootCount {
  std::uint32_t boots;
};

using BootCounterRecord = AtomicRecord<BootCount>;

inline constexpr std::uint32_t kBootCounterMagic = 0x41424F54u;  // "TOBA"

// Counts this boot and returns its number: 1 on the first boot after the NVM
// was erased, then 2, 3, ...
inline std::uint32_t countBoot(BootCounterRecord& record) {
  const BootCount* last = record.load(kBootCounterMagic);
  const BootCount now{last ? last->boots + 1 : 1};
  record.commit(kBootCounterMagic, now);
  return now.boots;
}

}  // namespace aidi::fw
