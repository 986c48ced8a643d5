#include "bench_session.hpp"

#include "aidi/inst/interrupt.hpp"
#include "aidi/proto/messages.hpp"

namespace aidi::core {

// Reads the session's link and folds its frames into an inference.
struct SessionTelemetry {
  BenchSession& s;
  const SampleLimits& limits;

  // Decodes what has arrived (waiting up to `wait` for the first byte) and
  // stops right after a result frame, keeping the bytes behind it for the
  // next sample. True when a result closed the inference.
  inst::Result<bool> drain(SimulationResult& result, inst::Millis wait) {
    for (;;) {
      if (s.m_unreadAt == s.m_unread.size()) {
        s.m_unread.resize(4096);
        auto n = s.link().read(s.m_unread, wait);
        if (!n) {
          s.m_unread.clear();
          s.m_unreadAt = 0;
          return inst::fail(n.error().code, "the device's link (" + s.link().describe() + "): " + n.error().message);
        }
        s.m_unread.resize(*n);
        s.m_unreadAt = 0;
        if (*n == 0) return false;
        wait = inst::Millis{0};
      }
      while (s.m_unreadAt < s.m_unread.size()) {
        const auto byte = static_cast<std::uint8_t>(s.m_unread[s.m_unreadAt++]);
        if (s.m_decoder.push(byte) != proto::DecodeResult::Frame) continue;
        proto::Hello hello{};
        proto::Boot boot{};
        const auto kind = applyFrame(s.m_decoder.frame(), result, &hello, &boot);
        if (kind == proto::MessageType::Hello && !s.m_helloChecked) {
          // A device that is not what its profile says would be timed wrong.
          if (auto ok = checkHelloAgainstProfile(hello, s.board()); !ok) return std::unexpected(ok.error());
          s.m_helloChecked = true;
        }
        if (kind == proto::MessageType::Boot && s.m_lastBootCount != boot.bootCount) {
          // The session's first boot resuming work: an inference an earlier
          // run of this image began (a real board's FRAM keeps it).
          if (!s.m_lastBootCount && boot.progressValid && (boot.layer > 0 || boot.job > 0))
            s.m_inheritedInference = boot.inference;
          s.m_lastBootCount = boot.bootCount;
          ++s.m_boots;
        }
        if (kind == proto::MessageType::Checkpoint && limits.onCheckpoint)
          limits.onCheckpoint(result.checkpointEvents.back());
        if (kind == proto::MessageType::Result) {
          if (s.m_inheritedInference && result.inference == *s.m_inheritedInference) {
            result.inherited = true;
            s.m_inheritedInference.reset();
          }
          if (s.m_helloRequired && !s.m_helloChecked)
            return inst::fail(inst::ErrorCode::Protocol,
                              "the board sent a result but no Hello frame: its target and clock cannot be checked "
                              "against board profile \"" + s.board().name + "\"");
          return true;
        }
      }
    }
  }
};

inst::Result<SimulationResult> runSample(BenchSession& session, const SampleLimits& limits) {
  SimulationResult result;
  SessionTelemetry telemetry{session, limits};
  const auto pastDeadline = [&] { return limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline; };
  // A wall-clock stop says how loaded the host was, not how the policy did:
  // it is an error of the bench, never a result.
  const auto wallTimeStop = [&] {
    return inst::fail(inst::ErrorCode::Timeout, "bench stopped the run: its wall-time limit (time_limit_s) was reached "
                                                "after " + std::to_string(result.cycles.size()) +
                                                    " power cycles; not a result of the policy");
  };
  double cycleSeconds = 0;
  const auto count = [&](const inst::PowerCycleRecord& cycle) {
    result.cycles.push_back(cycle);
    cycleSeconds += cycle.offS + cycle.onS + cycle.sleepS + cycle.shutdownS;
    result.deviceInstructions += session.activeCycles(cycle);
  };
  const auto finish = [&] {
    result.finished = result.failure.empty() && result.predicted >= 0;
    result.latencyS = session.latencyAtResult(cycleSeconds);
    result.decoder = session.telemetryCounters();
    return result;
  };

  // A real board goes on to its next sample in the cycle its last result
  // came in, and may have finished it there.
  auto seen = telemetry.drain(result, inst::Millis{0});
  if (!seen) return std::unexpected(seen.error());
  if (*seen) {
    if (session.m_lastCycle) count(*session.m_lastCycle);
    return finish();
  }

  std::uint64_t lastProgressCycle = 0, checkpointsSeen = 0;
  while (result.cycles.size() < limits.maxPowerCycles) {
    if (inst::interruptRequested()) return inst::fail(inst::ErrorCode::Cancelled, "interrupted");
    auto cycle = session.harvester().powerOn();
    if (!cycle && cycle.error().code == inst::ErrorCode::Cancelled && !inst::interruptRequested() && pastDeadline())
      return wallTimeStop();
    if (!cycle) return std::unexpected(cycle.error());
    count(*cycle);
    session.m_lastCycle = *cycle;
    seen = telemetry.drain(result, inst::Millis{0});
    const auto graceEnd = std::chrono::steady_clock::now() + limits.resultGrace;
    while (seen && !*seen && cycle->finished && result.failure.empty() && std::chrono::steady_clock::now() < graceEnd)
      seen = telemetry.drain(result, inst::Millis{100});
    if (!seen) return std::unexpected(seen.error());
    // Every cut of the power must reboot the board. One Boot may still be
    // on its way; two cuts without one mean the board never lost power.
    if (session.powerWasCut(*cycle) && ++session.m_cuts >= session.m_boots + 2)
      return inst::fail(inst::ErrorCode::Protocol,
                        "the board did not boot again after " + std::to_string(session.m_cuts - session.m_boots) +
                            " cuts of its power (no new Boot frame): it never lost power, so its rail is fed from "
                            "elsewhere (pull-ups or WP/HOLD on the regulator's 3V3, JP5 fitted; see "
                            "docs/real-hardware.md, Power)");
    if (limits.onPowerCycle) limits.onPowerCycle(*cycle);
    if (*seen) return finish();
    if (cycle->finished) {
      if (!result.failure.empty()) break;  // the device's own error frame: its result
      return inst::fail(inst::ErrorCode::Timeout,
                        "bench error: the device reported done but its result frame did not arrive within " +
                            std::to_string(limits.resultGrace.count()) + " ms of wall time");
    }
    if (result.checkpoints() > checkpointsSeen) {
      checkpointsSeen = result.checkpoints();
      lastProgressCycle = cycle->index;
    }
    if (cycle->index - lastProgressCycle >= limits.watchdogPowerCycles) {
      result.failure = "did not finish: no job committed in " + std::to_string(limits.watchdogPowerCycles) +
                       " power cycles (a job needs more energy than one power cycle holds)";
      break;
    }
    if (pastDeadline()) return wallTimeStop();
  }
  if (result.failure.empty())
    result.failure = "did not finish within " + std::to_string(limits.maxPowerCycles) + " power cycles";
  result.latencyS = cycleSeconds;
  result.decoder = session.telemetryCounters();
  return result;
}

}  // namespace aidi::core
