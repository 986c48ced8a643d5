// The host target's NVM: a buffer in memory with power-failure injection at
// the K-th write. The failing write is torn (only its first half lands), as a
// real FRAM write cut by a brown-out.
#pragma once

#include <cstdint>
#include <vector>

#include "nvm.hpp"

namespace aidi::fw::host {

class FailingNvm final : public Nvm {
 public:
  explicit FailingNvm(std::uint32_t size) : m_bytes(size, 0) {}
  // Fails the write with index `index` (0-based, counted from now); -1: never.
  void failAtWrite(std::int64_t index) {
    m_failAt = index;
    m_writesSinceArmed = 0;
  }
  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override;
  void read(std::uint32_t offset, void* data, std::uint32_t size) override;
  std::uint32_t size() const override { return static_cast<std::uint32_t>(m_bytes.size()); }

 private:
  std::vector<std::uint8_t> m_bytes;
  std::int64_t m_failAt = -1;
  std::int64_t m_writesSinceArmed = 0;
};

}  // namespace aidi::fw::host
