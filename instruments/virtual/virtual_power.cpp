#include "aidi/inst/virtual_power.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace aidi::inst {
namespace {
constexpr std::uint8_t kReady = 'R', kBudget = 'B', kPowerFail = 'P', kDone = 'D';
constexpr double kMaxTicks = 4294967295.0;
}  // namespace

VirtualPower::VirtualPower(QemuBoard& board, HarvesterModel& model, VirtualPowerConfig config)
    : m_board(board), m_model(model), m_config(config) {}

Result<std::uint8_t> VirtualPower::readShimByte() {
  while (m_pending.empty()) {
    std::array<std::byte, 64> buffer;
    auto n = m_board.shim().read(buffer, m_config.replyTimeout);
    if (!n) {
      const std::string why = m_board.exitDiagnosis(Millis{500});
      return fail(n.error().code, "power shim: " + (why.empty() ? n.error().message : why));
    }
    if (*n == 0)
      return fail(ErrorCode::Timeout, "power shim: the board did not answer within " +
                                          std::to_string(m_config.replyTimeout.count()) + " ms");
    for (std::size_t i = 0; i < *n; ++i) m_pending.push_back(static_cast<std::uint8_t>(buffer[i]));
  }
  const std::uint8_t b = m_pending.front();
  m_pending.erase(m_pending.begin());
  return b;
}

Result<PowerCycleRecord> VirtualPower::powerOn() {
  const auto wallStart = std::chrono::steady_clock::now();
  PowerCycleRecord r;
  r.index = m_cycles++;
  auto charged = m_model.chargeUntilOn(m_config.maxChargeSeconds);
  if (!charged) return std::unexpected(charged.error());
  r.offS = *charged;
  r.startS = m_model.time();
  r.vOn = m_model.voltage();

  auto request = readShimByte();
  if (!request) return std::unexpected(request.error());
  if (*request != kReady)
    return fail(ErrorCode::Protocol, "power shim: expected a budget request, got byte " + std::to_string(*request));

  // Instructions -> Timer0 ticks: one instruction is 2^shift ns of virtual time.
  const double onBudget = m_model.timeUntilBrownOut(m_config.activeWatts, kMaxTicks * kNanosecondsPerTick * 1e-9);
  const double nsPerInstruction = std::ldexp(1.0, m_config.icountShift);
  const double ticksExact = std::isinf(onBudget) ? 0.0
                                                  : onBudget * m_config.clockHz * nsPerInstruction / kNanosecondsPerTick;
  const auto ticks = static_cast<std::uint32_t>(std::clamp(std::floor(ticksExact), 1.0, kMaxTicks));
  const std::uint32_t granted = std::isinf(onBudget) ? 0u : ticks;  // 0: continuous power
  std::array<std::byte, 5> message{std::byte{kBudget}};
  for (int i = 0; i < 4; ++i) message[1 + i] = std::byte(static_cast<std::uint8_t>(granted >> (8 * i)));
  if (auto ok = m_board.shim().write(message); !ok) return std::unexpected(ok.error());

  auto event = readShimByte();
  if (!event) return std::unexpected(event.error());
  const double secondsPerTick = kNanosecondsPerTick / nsPerInstruction / m_config.clockHz;
  if (*event == kPowerFail) {
    r.onS = granted * secondsPerTick;
  } else if (*event == kDone) {
    std::uint32_t left = 0;
    for (int i = 0; i < 4; ++i) {
      auto b = readShimByte();
      if (!b) return std::unexpected(b.error());
      left |= static_cast<std::uint32_t>(*b) << (8 * i);
    }
    r.finished = true;
    // Under continuous power the shim's Timer0 counts down from 2^32 - 1 (power_shim.hpp).
    r.onS = ((granted ? granted : 0xFFFFFFFFu) - left) * secondsPerTick;
  } else {
    return fail(ErrorCode::Protocol, "power shim: unexpected byte " + std::to_string(*event));
  }
  r.instructions = static_cast<std::uint64_t>(std::llround(r.onS * m_config.clockHz));
  m_model.run(r.onS, m_config.activeWatts);
  r.vOff = m_model.voltage();
  // On a brown-out the shim has already reset the board (SYSRESETREQ): SRAM
  // comes back cold through the loader, NVM stays; the next request follows.
  r.wallMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wallStart).count();
  return r;
}

Status VirtualPower::powerOff() {
  if (!m_board.exitDiagnosis().empty()) return {};  // QEMU is gone: nothing is powered
  return m_board.pause();
}

Result<std::vector<PowerCycleRecord>> VirtualPower::runUntilDone(
    std::uint64_t maxCycles, const std::function<void(const PowerCycleRecord&)>& onCycle) {
  std::vector<PowerCycleRecord> cycles;
  while (cycles.size() < maxCycles) {
    auto c = powerOn();
    if (!c) return std::unexpected(c.error());
    cycles.push_back(*c);
    if (onCycle) onCycle(*c);
    if (c->finished) return cycles;
  }
  return fail(ErrorCode::Timeout, "the application did not finish within " + std::to_string(maxCycles) +
                                      " power cycles (a job larger than one power cycle never completes)");
}

}  // namespace aidi::inst
