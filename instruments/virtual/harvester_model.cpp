#include "aidi/inst/harvester_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::uint64_t kPiecesPerCancelCheck = 4096;
}

Status StorageParams::validate() const {
  if (!(capacitanceF > 0)) return fail(ErrorCode::Limit, "capacitance must be positive");
  if (!(vOff > 0 && vOff < vOn)) return fail(ErrorCode::Limit, "need 0 < v_off < v_on");
  if (!(vMax >= vOn)) return fail(ErrorCode::Limit, "need v_max >= v_on");
  if (!(efficiency > 0 && efficiency <= 1)) return fail(ErrorCode::Limit, "efficiency must be in (0, 1]");
  if (!(leakageW >= 0)) return fail(ErrorCode::Limit, "leakage must not be negative");
  return {};
}

HarvesterModel::HarvesterModel(StorageParams params, HarvestTrace trace, double startVoltage, double startS)
    : m_params(params),
      m_trace(std::move(trace)),
      m_t(startS),
      m_energy(0.5 * params.capacitanceF * startVoltage * startVoltage),
      m_eOn(0.5 * params.capacitanceF * params.vOn * params.vOn),
      m_eOff(0.5 * params.capacitanceF * params.vOff * params.vOff),
      m_eMax(0.5 * params.capacitanceF * params.vMax * params.vMax) {}

namespace {
constexpr double kJoinBelowS = 1e-3;
}  // namespace

bool HarvesterModel::shouldStop(std::uint64_t& pieces) {
  if (m_cancelled) return true;
  if (++pieces % kPiecesPerCancelCheck != 0) return false;
  m_cancelled = m_cancel ? m_cancel() : interruptRequested();
  return m_cancelled;
}

double HarvesterModel::voltage() const { return std::sqrt(2.0 * m_energy / m_params.capacitanceF); }

double HarvesterModel::advance(double until, double loadW, double stopEnergy, bool stopWhenFalling) {
  const double start = m_t;
  until = std::min(until, m_end);
  std::uint64_t pieces = 0;
  while (m_t < until && !shouldStop(pieces)) {
    const auto piece = m_trace.pieceAt(m_t);
    const double segmentEnd = std::min(until, piece.end);
    const double converted = m_params.efficiency * piece.power;
    const double net = converted - loadW - m_params.leakageW;
    double end = segmentEnd;
    bool stop = false;
    if (stopWhenFalling && net < 0) {
      const double tStop = m_t + (m_energy - stopEnergy) / -net;
      if (tStop <= end) end = tStop, stop = true;
    } else if (!stopWhenFalling && net > 0 && stopEnergy <= m_eMax) {
      const double tStop = m_t + (stopEnergy - m_energy) / net;
      if (tStop <= end) end = std::max(tStop, m_t), stop = true;
    }
    double dt = end - m_t;
    // Clamp at V_max: once full, the surplus is wasted.
    double stored = m_energy + net * dt;
    double wasted = 0;
    if (stored > m_eMax) {
      wasted = stored - m_eMax;
      stored = m_eMax;
      if (m_record && net > 0) {
        const double full = m_t + (m_eMax - m_energy) / net;  // filling, then full
        if (full > m_t) m_record->push_back({m_t, full, loadW, m_energy, m_eMax});
        m_record->push_back({std::max(full, m_t), end, loadW, m_eMax, m_eMax});
      }
    } else if (m_record && end > m_t) {
      // A trace of very short pieces (microseconds) over a long charge would
      // record millions of stretches: pieces of one load join the previous
      // stretch while it stays under kJoinBelowS (far under the waveform's
      // slowest bin), so the record grows with time, not with pieces.
      LoadStretch* last = m_record->empty() ? nullptr : &m_record->back();
      if (last && last->t1 == m_t && last->loadW == loadW && end - last->t0 < kJoinBelowS)
        last->t1 = end, last->e1J = std::max(0.0, stored);
      else
        m_record->push_back({m_t, end, loadW, m_energy, std::max(0.0, stored)});
    }
    m_ledger.convertedJ += converted * dt;
    m_ledger.loadJ += loadW * dt;
    m_ledger.leakageJ += m_params.leakageW * dt;
    m_ledger.wastedJ += wasted;
    m_energy = std::max(0.0, stored);
    m_t = end;
    if (stop) {
      m_energy = stopEnergy;
      break;
    }
  }
  return m_t - start;
}

Result<double> HarvesterModel::chargeUntilOn() {
  if (m_energy >= m_eOn) return 0.0;
  const double start = m_t;
  if (start >= m_end)
    return fail(ErrorCode::Timeout, fmt::format("the run's window of simulated time ended at t = {:.6g} s", m_end));
  const EnergyLedger before = m_ledger;
  advance(kInf, 0.0, m_eOn, false);
  if (m_cancelled) return fail(ErrorCode::Cancelled, "stopped while charging (simulated)");
  if (m_energy < m_eOn) {
    const double harvested = m_trace.energy(start, m_t);
    return fail(ErrorCode::Timeout,
                fmt::format("no energy: from t = {:.6g} s to the end of the run's window at {:.6g} s, {} delivered "
                            "{:.4g} uJ ({:.4g} uJ after the converter, {:.4g} uJ lost to leakage) and was dark for "
                            "{:.6g} s; the capacitor reached {:.3f} V of V_on = {:.3f} V",
                            start, m_t, m_trace.name().empty() ? std::string("the harvest") : m_trace.name(),
                            harvested * 1e6, (m_ledger.convertedJ - before.convertedJ) * 1e6,
                            (m_ledger.leakageJ - before.leakageJ) * 1e6, m_trace.darkSeconds(start, m_t), voltage(),
                            m_params.vOn));
  }
  return m_t - start;
}

double HarvesterModel::timeUntilBrownOut(double loadW, double horizonS) const {
  HarvesterModel copy = *this;
  copy.m_record = nullptr;
  const double ran = copy.advance(m_t + horizonS, loadW, m_eOff, true);
  // The window's end cuts the power as a brown-out would.
  return copy.m_energy <= m_eOff || copy.m_t >= m_end ? ran : kInf;
}

double HarvesterModel::run(double seconds, double loadW) { return advance(m_t + seconds, loadW, m_eOff, true); }

HarvesterModel::Sleep HarvesterModel::sleepUntil(double targetJ, double floorJ, double sleepW, double maxSeconds) {
  const double start = m_t, deadline = std::min(m_end, m_t + maxSeconds);
  targetJ = std::min(targetJ, m_eMax);
  floorJ = std::max(floorJ, m_eOff);
  // Piece by piece: rising power stops at the target, falling at the floor.
  std::uint64_t pieces = 0;
  while (m_t < deadline && m_energy < targetJ && m_energy > floorJ && !shouldStop(pieces)) {
    const auto piece = m_trace.pieceAt(m_t);
    const double until = std::min(deadline, piece.end);
    const double net = m_params.efficiency * piece.power - sleepW - m_params.leakageW;
    if (net > 0) advance(until, sleepW, targetJ, false);
    else advance(until, sleepW, floorJ, true);
  }
  return {m_t - start, m_energy >= targetJ, m_energy <= floorJ};
}

double energyBoundLatency(const StorageParams& params, const HarvestTrace& trace, double cycles, double clockHz,
                          double activeW, double t0, double v0, double horizonS) {
  const double computeS = cycles / clockHz;
  // Powered on: the capacitor charged with no load from v0 to V_on.
  HarvesterModel charging(params, trace, v0, t0);
  charging.setWindowEnd(t0 + horizonS);
  const auto charged = charging.chargeUntilOn();
  if (!charged) return kInf;
  const double onBound = *charged + computeS;
  // Energy: what v0 holds above V_off (negative below it) and the harvest.
  const double needed = computeS * activeW - 0.5 * params.capacitanceF * (v0 * v0 - params.vOff * params.vOff);
  if (needed <= 0) return onBound;
  // First t with eta * harvested(t0..t) >= needed, segment by segment.
  double t = t0, have = 0;
  for (std::uint64_t guard = 0; t < t0 + horizonS; ++guard) {
    if (guard % 4096 == 4095 && interruptRequested()) return kInf;
    const auto piece = trace.pieceAt(t);
    const double next = piece.end;
    const double p = params.efficiency * piece.power;
    if (p > 0 && have + p * (next - t) >= needed) return std::max(onBound, t + (needed - have) / p - t0);
    if (std::isinf(next)) return kInf;  // constant zero power
    have += p * (next - t);
    t = next;
  }
  return kInf;
}

}  // namespace aidi::inst
