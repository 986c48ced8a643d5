// The virtual board's activity marks: the plugin's ring as the bench drains
// it, and the ledger that splits a power cycle's energy by layer and mode.
#include "aidi/inst/device_activity.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "aidi/inst/temp_dir.hpp"

namespace aidi::inst {
namespace {

// Writes marks into the log as the plugin does (insn_window.c: a u64 count,
// then 24-byte entries in a ring).
class PluginSide {
 public:
  explicit PluginSide(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR);
    m_bytes = static_cast<std::size_t>(::lseek(fd, 0, SEEK_END));
    m_map = static_cast<char*>(::mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    ::close(fd);
  }
  ~PluginSide() { ::munmap(m_map, m_bytes); }
  void mark(std::uint64_t cycles, std::uint32_t code) {
    auto* written = reinterpret_cast<std::uint64_t*>(m_map);
    const std::uint64_t capacity = (m_bytes - 16) / 24;
    char* entry = m_map + 16 + (*written % capacity) * 24;
    const std::uint64_t instructions = cycles / 2;
    std::memcpy(entry, &cycles, 8);
    std::memcpy(entry + 8, &instructions, 8);
    std::memcpy(entry + 16, &code, 4);
    ++*written;
  }

 private:
  char* m_map = nullptr;
  std::size_t m_bytes = 0;
};

TEST(MarkLog, DrainsWhatThePluginWroteAndRefusesAnOverrun) {
  auto dir = TempDir::create("aidi-marks-");
  ASSERT_TRUE(dir);
  auto log = MarkLog::create(dir->path() / "marks.bin", 4);
  ASSERT_TRUE(log) << log.error().message;
  PluginSide plugin(log->path());
  std::vector<ActivityMark> marks;
  ASSERT_TRUE(log->drain(marks));
  EXPECT_TRUE(marks.empty());
  plugin.mark(100, kMarkNvmWrite);
  plugin.mark(180, kMarkCpu);
  plugin.mark(200, kMarkLayer0 + 3);
  ASSERT_TRUE(log->drain(marks));
  ASSERT_EQ(marks.size(), 3u);
  EXPECT_EQ(marks[0].cycles, 100u);
  EXPECT_EQ(marks[0].instructions, 50u);
  EXPECT_EQ(marks[2].code, kMarkLayer0 + 3);
  // Around the ring: the next four fit, wrapping past its end.
  marks.clear();
  for (std::uint64_t c = 300; c < 700; c += 100) plugin.mark(c, kMarkCommit);
  ASSERT_TRUE(log->drain(marks));
  ASSERT_EQ(marks.size(), 4u);
  EXPECT_EQ(marks[3].cycles, 600u);
  // Five before a drain: the oldest was overwritten; said, not guessed.
  for (std::uint64_t c = 700; c < 1200; c += 100) plugin.mark(c, kMarkCommit);
  auto overrun = log->drain(marks);
  ASSERT_FALSE(overrun);
  EXPECT_NE(overrun.error().message.find("more than the log holds (4)"), std::string::npos) << overrun.error().message;

  EXPECT_FALSE(MarkLog::create(dir->path() / "none.bin", 0));
  EXPECT_FALSE(MarkLog::create(dir->path() / "no-such-dir" / "marks.bin", 4));
}

double joulesOf(const std::vector<ActivityEnergy>& split, std::int32_t layer, DeviceMode mode, bool reexecuted) {
  double sum = 0;
  for (const auto& a : split)
    if (a.layer == layer && a.mode == mode && a.reexecuted == reexecuted) sum += a.joules;
  return sum;
}

// Boot work (before any layer) stays boot; work since the last commit is
// re-executed only when the cycle loses it; NVM transfers are their own mode.
TEST(ActivityLedger, SplitsACycleByLayerModeAndCommit) {
  ActivityLedger ledger;
  ledger.powerOn();
  ledger.charge(1.0, 0.1);  // boot and restore
  ledger.apply({0, 0, kMarkLayer0 + 0});
  ledger.charge(2.0, 0.2);
  ledger.apply({0, 0, kMarkNvmWrite});
  EXPECT_EQ(ledger.mode(), DeviceMode::NvmWrite);
  ledger.charge(0.5, 0.05);
  ledger.apply({0, 0, kMarkCpu});
  ledger.apply({0, 0, kMarkCommit});
  ledger.apply({0, 0, kMarkLayer0 + 1});
  ledger.charge(3.0, 0.3);
  ledger.chargeAdc(0.25, 0.01);
  auto lost = ledger.endCycle(/*lost=*/true);
  EXPECT_DOUBLE_EQ(joulesOf(lost, -1, DeviceMode::Compute, false), 1.0);
  EXPECT_DOUBLE_EQ(joulesOf(lost, 0, DeviceMode::Compute, false), 2.0);
  EXPECT_DOUBLE_EQ(joulesOf(lost, 0, DeviceMode::NvmWrite, false), 0.5);
  EXPECT_DOUBLE_EQ(joulesOf(lost, 1, DeviceMode::Compute, true), 3.0);
  EXPECT_DOUBLE_EQ(joulesOf(lost, 1, DeviceMode::Adc, true), 0.25);

  // The next cycle: a brown-out before any layer loses no boot work, and a
  // finished cycle keeps everything.
  ledger.powerOn();
  ledger.charge(1.0, 0.1);
  auto bootOnly = ledger.endCycle(true);
  ASSERT_EQ(bootOnly.size(), 1u);
  EXPECT_FALSE(bootOnly[0].reexecuted);
  ledger.powerOn();
  ledger.apply({0, 0, kMarkLayer0 + 2});
  ledger.charge(4.0, 0.4);
  auto kept = ledger.endCycle(false);
  EXPECT_DOUBLE_EQ(joulesOf(kept, 2, DeviceMode::Compute, false), 4.0);
}

}  // namespace
}  // namespace aidi::inst
