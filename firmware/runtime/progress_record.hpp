// Inference progress in NVM, replaced atomically under power failure: two
// slots with a sequence number and a CRC-32C; a commit writes the older slot,
// its CRC last, so a failure at any byte leaves the previous record valid.
// All access goes through Nvm, so failure injection reaches every byte.
#pragma once

#include <cstdint>

#include "nvm.hpp"

namespace aidi::fw {

struct Progress {
  std::uint32_t inference;  // inferences started since NVM was formatted
  std::uint16_t layer;      // next layer to run (layerCount: inference done)
  std::uint16_t job;        // next job of that layer
  std::uint32_t jobsCommitted;   // total jobs committed, for telemetry
  std::uint16_t rowsPerJob;      // this layer's rows per job when adapted (0: the plan's)
  std::uint16_t stalledBoots;    // boots since the last commit (1: this boot has not committed yet)
};

class ProgressRecord {
 public:
  static constexpr std::uint32_t kBytes = 2 * 28;
  ProgressRecord(Nvm& nvm, std::uint32_t offset) : m_nvm(nvm), m_offset(offset) {}

  // Newest valid progress; false when there is none (formatted NVM).
  bool load(Progress& out);
  // False when power failed during the commit (the previous record stays).
  bool commit(const Progress& progress);

 private:
  struct Slot {
    std::uint32_t magic;
    std::uint32_t sequence;
    Progress progress;
    std::uint32_t crc;
  };
  static_assert(sizeof(Slot) == 28, "slot layout");
  bool readSlot(int index, Slot& slot);

  Nvm& m_nvm;
  std::uint32_t m_offset;
  int m_newest = -1;       // cached after load/commit
  std::uint32_t m_sequence = 0;
};

}  // namespace aidi::fw
