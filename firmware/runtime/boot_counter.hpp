// The device's boot counter, kept in NVM. Its low 16 bits are the boot id
// every telemetry frame carries, so the host can tell power cycles apart.
#pragma once

#include <cstdint>

#include "nvm_record.hpp"

namespace aidi::fw {

struct BootCount {
  std::uint32_t boots;
};

inline constexpr std::uint32_t kBootCounterMagic = 0x41424F54u;  // "TOBA"
inline constexpr std::uint32_t kBootCounterBytes = NvmRecord<BootCount>::kBytes;

// Counts this boot and returns its number: 1 on the first boot after the NVM
// was erased, then 2, 3, ... The record occupies kBootCounterBytes at `offset`.
inline std::uint32_t countBoot(Nvm& nvm, std::uint32_t offset) {
  NvmRecord<BootCount> record(nvm, offset, kBootCounterMagic);
  BootCount last{};
  const BootCount now{record.load(last) ? last.boots + 1 : 1};
  record.commit(now);
  return now.boots;
}

}  // namespace aidi::fw
