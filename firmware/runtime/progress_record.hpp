// Inference progress, kept in an NvmRecord.
#pragma once

#include <cstdint>

#include "nvm_record.hpp"

namespace aidi::fw {

struct Progress {
  std::uint32_t inference;  // inferences started since NVM was formatted
  std::uint16_t layer;      // next layer to run (layerCount: inference done)
  std::uint16_t job;        // next job of that layer
  std::uint32_t jobsCommitted;   // total jobs committed, for telemetry
  std::uint16_t rowsPerJob;      // this layer's rows per job when adapted (0: the plan's)
  std::uint16_t stalledBoots;    // boots since the last commit (1: this boot has not committed yet)
  // The job engine with footprints or states: which start of an inference
  // wrote a preserved row (1..255, cycling; 0 is formatted NVM).
  std::uint16_t generation = 0;
  std::uint16_t reserved = 0;
};

inline constexpr std::uint32_t kProgressMagic = 0x50524F47u;  // "GORP"

class ProgressRecord : public NvmRecord<Progress> {
 public:
  ProgressRecord(Nvm& nvm, std::uint32_t offset) : NvmRecord<Progress>(nvm, offset, kProgressMagic) {}
};

}  // namespace aidi::fw
