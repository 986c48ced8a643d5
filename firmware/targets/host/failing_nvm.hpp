// The host target's NVM: a buffer in memory with power-failure injection at
// the K-th write. The failing write is torn as a real FRAM write cut by a
// brown-out: a prefix of it lands (half of it unless told how many bytes).
#pragma once

#include <cstdint>
#include <vector>

#include "nvm.hpp"

namespace aidi::fw::host {

class FailingNvm final : public Nvm {
 public:
  explicit FailingNvm(std::uint32_t size) : m_bytes(size, 0) {}
  static constexpr std::uint32_t kHalf = 0xFFFFFFFFu;
  // Fails the write with index `index` (0-based, counted from now; -1:
  // never), landing its first `landedBytes` bytes (clamped to its size).
  void failAtWrite(std::int64_t index, std::uint32_t landedBytes = kHalf) {
    m_failAt = index;
    m_landed = landedBytes;
    m_fraction = -1;
    m_writesSinceArmed = 0;
  }
  // The same, landing the share `fraction` (in [0, 1)) of the failing write,
  // whatever its size turns out to be.
  void failAtWriteLanding(std::int64_t index, double fraction) {
    failAtWrite(index);
    m_fraction = fraction;
  }
  // The size of every write so far, in order.
  const std::vector<std::uint32_t>& writeSizes() const { return m_sizes; }
  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override;
  void read(std::uint32_t offset, void* data, std::uint32_t size) override;
  std::uint32_t size() const override { return static_cast<std::uint32_t>(m_bytes.size()); }

 private:
  std::vector<std::uint8_t> m_bytes;
  std::vector<std::uint32_t> m_sizes;
  std::int64_t m_failAt = -1;
  std::uint32_t m_landed = kHalf;
  double m_fraction = -1;  // < 0: m_landed decides
  std::int64_t m_writesSinceArmed = 0;
};

}  // namespace aidi::fw::host
