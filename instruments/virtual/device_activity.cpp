#include "aidi/inst/device_activity.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace aidi::inst {
namespace {
// The plugin's layout (insn_window.c): a 16-byte header whose first u64
// counts the marks written, then the ring of entries.
constexpr std::size_t kHeaderBytes = 16;
struct Entry {
  std::uint64_t cycles, instructions;
  std::uint32_t code, reserved;
};
static_assert(sizeof(Entry) == 24);
}  // namespace

const char* deviceModeName(DeviceMode mode) {
  switch (mode) {
    case DeviceMode::Compute: return "compute";
    case DeviceMode::NvmRead: return "nvm_read";
    case DeviceMode::NvmWrite: return "nvm_write";
    case DeviceMode::NvmWake: return "nvm_wake";
    case DeviceMode::Adc: return "adc";
  }
  return "?";
}

std::optional<DeviceMode> deviceModeNamed(std::string_view name) {
  for (int m = 0; m < kDeviceModes; ++m)
    if (name == deviceModeName(static_cast<DeviceMode>(m))) return static_cast<DeviceMode>(m);
  return std::nullopt;
}

Result<MarkLog> MarkLog::create(const std::filesystem::path& path, std::uint64_t capacity) {
  if (capacity == 0) return fail(ErrorCode::Limit, "a mark log needs room for at least one mark");
  const std::size_t bytes = kHeaderBytes + capacity * sizeof(Entry);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::Io, "cannot create the mark log " + path.string() + ": " + std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(ErrorCode::Io, "cannot size the mark log " + path.string() + ": " + std::strerror(e));
  }
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return fail(ErrorCode::Io, "cannot map the mark log " + path.string() + ": " + std::strerror(errno));
  return MarkLog(path, map, bytes, capacity);
}

MarkLog::MarkLog(MarkLog&& other) noexcept
    : m_path(std::move(other.m_path)), m_map(other.m_map), m_bytes(other.m_bytes), m_capacity(other.m_capacity),
      m_read(other.m_read) {
  other.m_map = nullptr;
}

MarkLog::~MarkLog() {
  if (m_map) ::munmap(m_map, m_bytes);
}

Status MarkLog::drain(std::vector<ActivityMark>& out) {
  const auto* header = static_cast<const std::uint64_t*>(m_map);
  const std::uint64_t written = __atomic_load_n(header, __ATOMIC_ACQUIRE);
  if (written < m_read) return fail(ErrorCode::Protocol, "the mark log went backwards: " + m_path.string());
  if (written - m_read > m_capacity)
    return fail(ErrorCode::Protocol, "the device made " + std::to_string(written - m_read) +
                                         " marks in one stretch, more than the log holds (" +
                                         std::to_string(m_capacity) + ")");
  const auto* ring = reinterpret_cast<const Entry*>(static_cast<const char*>(m_map) + kHeaderBytes);
  for (; m_read < written; ++m_read) {
    const Entry& e = ring[m_read % m_capacity];
    out.push_back({e.cycles, e.instructions, e.code});
  }
  return {};
}

void ActivityLedger::powerOn() {
  m_mode = DeviceMode::Compute;
  m_layer = -1;
  m_pending.clear();
  m_kept.clear();
}

void ActivityLedger::apply(const ActivityMark& mark) {
  switch (mark.code) {
    case kMarkCpu: m_mode = DeviceMode::Compute; return;
    case kMarkNvmRead: m_mode = DeviceMode::NvmRead; return;
    case kMarkNvmWrite: m_mode = DeviceMode::NvmWrite; return;
    case kMarkNvmWake: m_mode = DeviceMode::NvmWake; return;
    case kMarkCommit: merge(m_pending, false); return;
    default:
      if (mark.code >= kMarkLayer0) m_layer = static_cast<std::int32_t>(mark.code - kMarkLayer0);
  }
}

void ActivityLedger::add(DeviceMode mode, double joules, double seconds) {
  Sum& s = m_pending[{m_layer, mode}];
  s.joules += joules;
  s.seconds += seconds;
}

void ActivityLedger::merge(std::map<Key, Sum>& from, bool reexecuted) {
  for (const auto& [key, sum] : from) {
    // A boot's own work (before any layer) is never re-executed work.
    Sum& to = m_kept[{key, reexecuted && key.first >= 0}];
    to.joules += sum.joules;
    to.seconds += sum.seconds;
  }
  from.clear();
}

std::vector<ActivityEnergy> ActivityLedger::endCycle(bool lost) {
  merge(m_pending, lost);
  std::vector<ActivityEnergy> split;
  for (const auto& [key, sum] : m_kept)
    split.push_back({key.first.first, key.first.second, key.second, sum.joules, sum.seconds});
  m_kept.clear();
  return split;
}

}  // namespace aidi::inst
