#include "aidi/inst/virtual_power.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace aidi::inst {
namespace {
// The shim's messages (firmware/targets/mps2-an386/power_shim.hpp).
constexpr std::uint8_t kReady = 'R', kBudget = 'B', kPowerFail = 'P', kExpired = 'X', kDone = 'D', kSleep = 'S',
                       kAdc = 'A', kAdcValue = 'V', kSlept = 'W', kShutDown = 'O', kRtc = 'T', kNextRequest = 'Q',
                       kRequest = 'N';
constexpr std::uint32_t kNoMoreRequests = 0xFFFFFFFFu, kPowerGoing = 0xFFFFFFFEu;
constexpr double kRtcHz = 32768;  // the board's real-time clock, which runs asleep and shut down
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr std::uint32_t kContinuousTicks = 0xFFFFFFFFu;  // Timer0 start value under continuous power
constexpr double kMaxTicks = 4294967295.0;
constexpr double kGrantMargin = 1.5;
}  // namespace

VirtualPower::VirtualPower(QemuBoard& board, HarvesterModel& model, VirtualPowerConfig config)
    : m_board(board), m_model(model), m_config(config), m_noise(config.adc.seed) {}

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

Result<std::uint32_t> VirtualPower::readShimWord() {
  std::uint32_t word = 0;
  for (int i = 0; i < 4; ++i) {
    auto b = readShimByte();
    if (!b) return std::unexpected(b.error());
    word |= static_cast<std::uint32_t>(*b) << (8 * i);
  }
  return word;
}

double VirtualPower::cyclesPerInstruction() const {
  if (!m_config.poweredCount || m_counted.instructions == 0) return m_config.initialCyclesPerInstruction;
  return static_cast<double>(m_counted.cycles) / static_cast<double>(m_counted.instructions);
}

std::uint32_t VirtualPower::budgetTicks() const {
  // Seconds -> cycles -> instructions -> Timer0 ticks (one instruction is
  // 2^shift ns of virtual time).
  const double onBudget = m_model.timeUntilBrownOut(m_config.activeWatts, kMaxTicks * kNanosecondsPerTick * 1e-9);
  if (std::isinf(onBudget)) return 0;  // continuous power
  const double nsPerInstruction = std::ldexp(1.0, m_config.icountShift);
  // Granted as if the device's instructions cost kGrantMargin times the
  // cycles they have cost so far: a stretch of dearer instructions (NVM
  // waits, divides) must not outrun the capacitor; one of cheaper ones asks
  // for more when the budget expires ('X').
  const double instructions = onBudget * m_config.clockHz / (cyclesPerInstruction() * kGrantMargin);
  const double ticksExact = instructions * nsPerInstruction / kNanosecondsPerTick;
  return static_cast<std::uint32_t>(std::clamp(std::floor(ticksExact), 1.0, kMaxTicks));
}

Result<VirtualPower::Stretch> VirtualPower::stretch(std::uint64_t ticksRun) {
  if (!m_config.poweredCount) {
    const double instructions = static_cast<double>(ticksRun) * kNanosecondsPerTick / std::ldexp(1.0, m_config.icountShift);
    return Stretch{static_cast<std::uint64_t>(std::llround(instructions)), instructions / m_config.clockHz};
  }
  auto now = m_config.poweredCount();
  if (!now) return std::unexpected(now.error());
  if (now->instructions < m_counted.instructions || now->cycles < m_counted.cycles)
    return fail(ErrorCode::Protocol, "the device's instruction count went backwards");
  const Stretch s{now->instructions - m_counted.instructions,
                  static_cast<double>(now->cycles - m_counted.cycles) / m_config.clockHz, m_counted.cycles};
  m_counted = *now;
  return s;
}

double VirtualPower::modeWatts(DeviceMode mode) const {
  const bool transfer = mode == DeviceMode::NvmRead || mode == DeviceMode::NvmWrite;
  return transfer && m_config.nvmWatts > 0 ? m_config.nvmWatts : m_config.activeWatts;
}

double VirtualPower::runActive(double seconds, double watts, PowerCycleRecord& r, bool adc) {
  const double ran = m_model.run(seconds, watts);
  r.onS += ran;
  r.activeJ += ran * watts;
  if (adc) m_activity.chargeAdc(ran * watts, ran);
  else m_activity.charge(ran * watts, ran);
  return ran;
}

Status VirtualPower::runStretch(const Stretch& s, PowerCycleRecord& r) {
  m_marks.clear();
  if (m_config.drainMarks && m_config.poweredCount)
    if (auto ok = m_config.drainMarks(m_marks); !ok) return std::unexpected(ok.error());
  // Mode by mode between the marks, until the stretch ends or the
  // capacitor runs out (the rest never ran: the brown-out came first).
  std::uint64_t at = s.firstCycle;
  const std::uint64_t end = s.firstCycle + static_cast<std::uint64_t>(std::llround(s.seconds * m_config.clockHz));
  const auto runTo = [&](std::uint64_t cycle) {
    if (cycle <= at) return true;
    const double want = static_cast<double>(cycle - at) / m_config.clockHz;
    at = cycle;
    const double got = runActive(want, modeWatts(m_activity.mode()), r);
    // Short by more than rounding: the capacitor reached V_off (or the
    // window its end, or the user stopped it).
    return got >= want || !(m_model.storedEnergyJ() <= m_model.energyAtOff() || m_model.cancelled() ||
                            m_model.time() >= m_model.windowEnd());
  };
  for (const auto& mark : m_marks) {
    if (!runTo(std::min(mark.cycles, end))) return {};
    m_activity.apply(mark);
  }
  (void)runTo(end);
  return {};
}

std::uint16_t VirtualPower::adcCode() {
  const auto& adc = m_config.adc;
  double volts = m_model.voltage();
  if (adc.noiseV > 0) volts += std::normal_distribution<double>(0.0, adc.noiseV)(m_noise);
  const double fullCode = std::ldexp(1.0, static_cast<int>(std::min<std::uint32_t>(adc.bits, 16))) - 1;
  return static_cast<std::uint16_t>(std::clamp(std::round(volts / adc.fullScaleV * fullCode), 0.0, fullCode));
}

std::uint32_t VirtualPower::nextRequest(std::uint32_t done, PowerCycleRecord& r, bool& brownOut) {
  const RequestStream& stream = *m_config.requests;
  const double now = m_model.time();
  brownOut = false;
  if (m_serving) {
    if (m_serving->id == done) {
      m_serving->doneS = now;
      m_completions.push_back(*m_serving);
    } else if (!m_waiting) {
      m_waiting = m_serving;  // lost to a brown-out before it was started: still wanted
    } else {
      ++m_dropped;
    }
    m_serving.reset();
  }
  const auto arrival = [&](std::uint64_t k) { return stream.firstS + stream.periodS * static_cast<double>(k); };
  const auto arrive = [&] {
    if (m_waiting) ++m_dropped;  // replaced by the newer request
    m_waiting = Completion{static_cast<std::uint32_t>(m_arrivals + 1), arrival(m_arrivals), 0};
    ++m_arrivals;
  };
  if (stream.periodS > 0) {
    while (arrival(m_arrivals) <= now && arrival(m_arrivals) < stream.endS) arrive();
  } else if (!m_waiting && now < stream.endS) {
    m_waiting = Completion{static_cast<std::uint32_t>(++m_arrivals), now, 0};  // back to back
  }
  if (!m_waiting) {
    const double next = arrival(m_arrivals);
    if (stream.periodS <= 0 || next >= stream.endS) return kNoMoreRequests;
    // Asleep until it arrives (the RTC's alarm), unless the capacitor runs dry first.
    const double wanted = next - now;
    const double sleptFrom = m_model.time();
    const double slept = m_model.run(wanted, m_config.sleepWatts);
    r.sleepS += slept;
    r.sleepSpans.push_back({sleptFrom, slept});
    if (slept < wanted) {
      brownOut = true;
      return kPowerGoing;
    }
    arrive();
  }
  m_serving = m_waiting;
  m_waiting.reset();
  return m_serving->id;
}

Status VirtualPower::reply(std::uint8_t tag, std::uint32_t value, int bytes) {
  std::array<std::byte, 5> message{std::byte{tag}};
  for (int i = 0; i < bytes; ++i) message[1 + i] = std::byte(static_cast<std::uint8_t>(value >> (8 * i)));
  return m_board.shim().write(std::span(message).first(1 + static_cast<std::size_t>(bytes)));
}

std::uint32_t VirtualPower::budgetFromHere() const {
  return m_model.storedEnergyJ() > m_model.energyAtOff() ? budgetTicks() : 1u;
}

Status VirtualPower::grant(std::uint32_t ticks) { return reply(kBudget, ticks, 4); }

Result<PowerCycleRecord> VirtualPower::powerOn() {
  const auto wallStart = std::chrono::steady_clock::now();
  PowerCycleRecord r;
  r.index = m_cycles++;
  auto charged = m_model.chargeUntilOn();
  if (!charged) return std::unexpected(charged.error());
  r.offS = *charged;
  r.startS = m_model.time();
  r.vOn = m_model.voltage();
  m_activity.powerOn();
  bool lost = true;  // the work since the last commit, unless the cycle ends otherwise

  auto request = readShimByte();
  if (!request) return std::unexpected(request.error());
  if (*request != kReady)
    return fail(ErrorCode::Protocol, "power shim: expected a budget request, got byte " + std::to_string(*request));

  std::uint32_t granted = budgetTicks();
  if (auto ok = grant(granted); !ok) return std::unexpected(ok.error());
  // Runs the stretch that just ended in the model: `left` ticks were unspent.
  const auto ran = [&](std::uint32_t left) -> Status {
    auto s = stretch((granted ? granted : kContinuousTicks) - left);
    if (!s) return std::unexpected(s.error());
    // On-time as the model ran it: a stretch that outran the capacitor (the
    // budget was granted at an estimated cycles per instruction) ends at the
    // brown-out, where the energy did.
    if (auto ok = runStretch(*s, r); !ok) return std::unexpected(ok.error());
    r.instructions += s->instructions;
    return {};
  };
  // A request that reports the ticks left (u32) ended the stretch: run it.
  const auto ranReported = [&]() -> Status {
    auto left = readShimWord();
    if (!left) return std::unexpected(left.error());
    return ran(*left);
  };
  // The answer to a request mid-cycle, then the budget from there on.
  const auto answer = [&](std::uint8_t tag, std::uint32_t value, int bytes, std::uint32_t ticks) -> Status {
    if (auto ok = reply(tag, value, bytes); !ok) return ok;
    granted = ticks;
    return grant(granted);
  };

  for (;;) {
    auto event = readShimByte();
    if (!event) return std::unexpected(event.error());
    if (*event == kExpired) {
      // The budget ran out. It was granted with a margin on the cycles per
      // instruction so far; the device's real ones decide: energy left above
      // what two Timer0 ticks of instructions draw, a budget of it; else the
      // brown-out (within those two ticks' energy of V_off).
      if (auto ok = ran(0); !ok) return std::unexpected(ok.error());
      const double minimumJ = 80 * m_config.activeWatts / m_config.clockHz * cyclesPerInstruction() * kGrantMargin;
      if (m_model.storedEnergyJ() - m_model.energyAtOff() > minimumJ && !m_model.cancelled() &&
          m_model.time() < m_model.windowEnd()) {
        granted = budgetTicks();
        if (auto ok = grant(granted); !ok) return std::unexpected(ok.error());
        continue;
      }
      if (auto ok = reply(kPowerFail, 0, 0); !ok) return std::unexpected(ok.error());
      break;
    }
    if (*event == kDone) {
      r.finished = true;
      lost = false;
      if (auto ok = ranReported(); !ok) return std::unexpected(ok.error());
      break;
    }
    if (*event == kShutDown) {
      // The device checkpointed and shut itself down: it draws its shutdown
      // power until the capacitor reaches V_on (its wake comparator), or
      // browns out if the capacitor falls to V_off first; it has reset
      // itself (SRAM lost), and the next power-on boots it.
      if (auto ok = ranReported(); !ok) return std::unexpected(ok.error());
      lost = false;  // it checkpointed first
      const double before = m_model.time();
      (void)m_model.sleepUntil(m_model.energyAtOn(), m_model.energyAtOff(), m_config.shutdownWatts);
      r.shutdownS = m_model.time() - before;
      break;
    }
    if (*event == kRtc) {
      // The real-time clock: simulated time at 32,768 Hz, wrapping.
      if (auto ok = ranReported(); !ok) return std::unexpected(ok.error());
      const auto ticks = static_cast<std::uint32_t>(
          static_cast<std::uint64_t>(std::floor(m_model.time() * kRtcHz)) & 0xFFFFFFFFu);
      if (auto ok = answer(kRtc, ticks, 4, budgetFromHere()); !ok) return std::unexpected(ok.error());
      continue;
    }
    if (*event == kNextRequest && m_config.requests) {
      if (auto ok = ranReported(); !ok) return std::unexpected(ok.error());
      auto done = readShimWord();
      if (!done) return std::unexpected(done.error());
      if (m_config.onRequest) m_config.onRequest();
      bool brownOut = false;
      const std::uint32_t next = nextRequest(*done, r, brownOut);
      // Browned out while waiting: one tick, and the shim's brown-out follows.
      if (auto ok = answer(kRequest, next, 4, brownOut ? 1u : budgetFromHere()); !ok) return std::unexpected(ok.error());
      continue;
    }
    if (*event == kAdc) {
      // One conversion, charged at the active power; the code, then the
      // budget from here on (none left if the conversion browned it out).
      if (auto ok = ranReported(); !ok) return std::unexpected(ok.error());
      (void)runActive(m_config.adc.conversionS, m_config.activeWatts, r, /*adc=*/true);
      ++r.adcReadings;
      if (auto ok = answer(kAdcValue, adcCode(), 2, budgetFromHere()); !ok) return std::unexpected(ok.error());
      continue;
    }
    if (*event != kSleep) return fail(ErrorCode::Protocol, "power shim: unexpected byte " + std::to_string(*event));
    auto wake = readShimWord();
    if (!wake) return std::unexpected(wake.error());
    auto left = readShimWord();
    if (!left) return std::unexpected(left.error());
    auto floor = readShimWord();
    if (!floor) return std::unexpected(floor.error());
    auto alarm = readShimWord();
    if (!alarm) return std::unexpected(alarm.error());
    if (auto ok = ran(*left); !ok) return std::unexpected(ok.error());
    // The comparator's thresholds, in millivolts at the capacitor.
    const auto energyAt = [&](std::uint32_t millivolts) {
      const double volts = millivolts * 1e-3;
      return 0.5 * m_model.params().capacitanceF * volts * volts;
    };
    const auto sleep = m_model.sleepUntil(energyAt(*wake), std::max(energyAt(*floor), m_model.energyAtOff()),
                                          m_config.sleepWatts, *alarm ? *alarm / kRtcHz : kInfinity);
    r.sleepS += sleep.seconds;
    r.sleepSpans.push_back({m_model.time() - sleep.seconds, sleep.seconds});
    ++r.sleeps;
    const auto slept = static_cast<std::uint32_t>(std::min(std::round(sleep.seconds * kRtcHz), 4294967295.0));
    // Risen to the wake threshold (or the capacitor full), down to the
    // device's floor, or woken by the alarm: a budget of what is stored.
    // Fell to V_off (a floor of 0): one tick, and the shim's brown-out follows.
    const bool alarmed = !sleep.reached && !sleep.fell && *alarm;
    const bool awake = sleep.reached || alarmed || (sleep.fell && *floor > 0);
    if (auto ok = answer(kSlept, slept, 4, awake ? budgetTicks() : 1u); !ok) return std::unexpected(ok.error());
  }
  if (m_model.cancelled()) return fail(ErrorCode::Cancelled, "stopped during a power cycle (simulated time)");
  r.vOff = m_model.voltage();
  r.activity = m_activity.endCycle(lost);
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
