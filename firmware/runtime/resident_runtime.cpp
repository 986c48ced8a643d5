#include "resident_runtime.hpp"

#include <algorithm>

#include "aidi_decision.hpp"
#include "plain_inference.hpp"
#include "row_window.hpp"
#include "scheduler_policy.hpp"

namespace aidi::fw {
namespace {


std::uint64_t bit(std::int32_t row) { return std::uint64_t{1} << row; }

// Rows computed in one kernel call while energy is plentiful.
constexpr std::int32_t kMaxBandRows = 28;

}  // namespace

ResidentRuntime::ResidentRuntime(const ModelView& model, const KernelSet& kernels, const ArenaPlan& plan,
                                 const NvmLayout& layout, Nvm& nvm, const NvmCosts& nvmCosts, std::int8_t* arena,
                                 EnergyMonitor& monitor)
    : m_model(model),
      m_kernels(kernels),
      m_plan(plan),
      m_layout(layout),
      m_nvm(nvm),
      m_record(nvm, 0),
      m_arena(arena),
      m_monitor(monitor),
      m_nvmCosts(nvmCosts),
      // A commit: the progress record (two slots, header, CRC) in one write.
      m_commitCycles(nvmCosts.write(2ull * (sizeof(Progress) + 16))),
      m_maxBandRows(kMaxBandRows) {
  tensorLifetimes(model, m_first, m_last);
  for (std::uint16_t t = 0; t < model.tensorCount(); ++t)
    if (model.tensor(t).shape.h > kMaxResidentRows) m_supported = false;
  if (model.layerCount() > kMaxLayers) m_supported = false;
  resetTracking();
}

std::uint32_t ResidentRuntime::rowBytes(std::uint16_t tensor) const {
  const Shape s = m_model.tensor(tensor).shape;
  return static_cast<std::uint32_t>(s.w * s.c);
}

// Needed at or after layer `layer`, and produced before it.
bool ResidentRuntime::live(std::uint16_t tensor, std::uint16_t layer) const {
  if (layer >= m_model.layerCount()) return tensor == m_model.outputTensor();
  const bool producedBefore = tensor == m_model.inputTensor() || (m_first[tensor] >= 0 && m_first[tensor] < layer);
  return producedBefore && m_last[tensor] >= layer;
}

void ResidentRuntime::resetTracking() {
  // What the committed progress guarantees is in NVM; nothing is in SRAM.
  const std::uint16_t layer = m_active ? m_progress.layer : 0;
  m_reloadCycles = 0;
  for (std::uint16_t t = 0; t < m_model.tensorCount(); ++t) {
    const auto h = static_cast<std::uint16_t>(m_model.tensor(t).shape.h);
    std::uint16_t rows = 0;
    if (m_active && live(t, layer)) rows = h;
    if (m_active && layer < m_model.layerCount() && t == m_model.layer(layer).output) rows = m_progress.job;
    m_produced[t] = m_persisted[t] = rows;
    m_resident[t] = 0;
  }
}

std::uint64_t ResidentRuntime::unsavedBytes(std::uint16_t layer, std::uint32_t& tensors) const {
  std::uint64_t bytes = 0;
  tensors = 0;
  const std::uint16_t current = layer < m_model.layerCount() ? m_model.layer(layer).output : kNoTensor;
  for (std::uint16_t t = 0; t < m_model.tensorCount(); ++t) {
    if (!live(t, layer) && t != current) continue;
    if (m_produced[t] > m_persisted[t]) {
      bytes += std::uint64_t(m_produced[t] - m_persisted[t]) * rowBytes(t);
      ++tensors;
    }
  }
  return bytes;
}

ResidentRuntime::WaitChoice ResidentRuntime::chooseWait(std::uint16_t layer, std::int32_t row, std::uint32_t left,
                                                        bool atReserve, std::uint64_t lostRow, std::uint32_t& want,
                                                        std::uint32_t& floor, JobObserver* observer) {
  WaitState w{};
  if (!m_monitor.waitOutlook(w)) return WaitChoice::Sleep;
  w.want = static_cast<Real>(want);
  w.moreWork = m_moreWork;
  if (w.harvest < 0) {
    // Not measured yet: a short sleep measures it, ending when the level
    // rises by 1/32 of the capacitor's band, falls by 1/64, or after
    // kProbeSleepS (where the board draws about what arrives, it would
    // otherwise wait on).
    const Real probe = static_cast<Real>(left) + w.atOn / 32.0f;
    if (probe < static_cast<Real>(want)) want = static_cast<std::uint32_t>(probe);
    const Real drop = w.atOn / 64.0f;
    if (static_cast<Real>(left) > drop) floor = std::max(floor, static_cast<std::uint32_t>(static_cast<Real>(left) - drop));
    m_monitor.limitNextSleep(kProbeSleepS);
    return WaitChoice::Sleep;
  }
  w.left = static_cast<Real>(left);
  // A cold boot costs what this one did: its start-up and restore, the
  // NVM's wake, and reading rows back at the share of the work they took
  // since (measured: the rows the work really needs, not every live row).
  const std::uint32_t worked = m_monitor.cyclesNow() - m_bootCycles;
  const Real reloadShare =
      worked > 0 ? std::min(1.0f, static_cast<Real>(m_reloadCycles) / static_cast<Real>(worked)) : 0.0f;
  w.wakeCost = static_cast<Real>(m_bootCycles) + static_cast<Real>(m_nvmCosts.wakeCycles) +
               reloadShare * (w.atOn - w.left);
  if (!shutDownToWait(w)) return WaitChoice::Sleep;
  if (!atReserve) return WaitChoice::RunOn;
  if (!checkpoint(layer, static_cast<std::uint16_t>(row), observer)) return WaitChoice::Failed;
  w.left = static_cast<Real>(m_monitor.cyclesLeft());  // what the checkpoint left
  w.brownOutLoss = static_cast<Real>(lostRow);
  if (brownOutToWait(w)) {
    m_monitor.brownOutComing();
    m_runningIntoBrownOut = true;
    return WaitChoice::RunOn;
  }
  m_nvm.sleep();
  m_monitor.shutDown();
  m_nvm.wake();  // the board could not shut down after all: sleep powered
  return WaitChoice::Sleep;
}

bool ResidentRuntime::ensureRows(std::uint16_t tensor, std::int32_t first, std::int32_t last) {
  const std::uint32_t rb = rowBytes(tensor);
  for (std::int32_t r = first; r < last;) {
    if (m_resident[tensor] & bit(r)) {
      ++r;
      continue;
    }
    std::int32_t end = r + 1;
    while (end < last && !(m_resident[tensor] & bit(end))) ++end;
    if (end > m_persisted[tensor]) return false;  // never produced: the engine's bookkeeping is broken
    m_nvm.read(m_layout.tensorOffset[tensor] + static_cast<std::uint32_t>(r) * rb,
               m_arena + m_plan.offset[tensor] + static_cast<std::uint32_t>(r) * rb,
               static_cast<std::uint32_t>(end - r) * rb);
    m_reloadCycles += m_nvmCosts.read(static_cast<std::uint64_t>(end - r) * rb);
    for (std::int32_t k = r; k < end; ++k) m_resident[tensor] |= bit(k);
    r = end;
  }
  return true;
}

void ResidentRuntime::computeRows(std::uint16_t layer, std::int32_t first, std::int32_t last) {
  runRows(m_model, m_plan, m_kernels, layer, first, last, m_arena);
  const std::uint16_t output = m_model.layer(layer).output;
  for (std::int32_t r = first; r < last; ++r) m_resident[output] |= bit(r);
  m_produced[output] = static_cast<std::uint16_t>(last);
}

bool ResidentRuntime::sleepForEnergy(std::uint32_t want, std::uint32_t floor) {
  m_nvm.sleep();
  const bool reached = m_monitor.sleepUntil(want, floor);
  m_nvm.wake();
  return reached;
}

bool ResidentRuntime::checkpoint(std::uint16_t layer, std::uint16_t row, JobObserver* observer) {
  const std::uint16_t current = layer < m_model.layerCount() ? m_model.layer(layer).output : kNoTensor;
  std::uint32_t written = 0;
  for (std::uint16_t t = 0; t < m_model.tensorCount(); ++t) {
    if ((!live(t, layer) && t != current) || m_produced[t] <= m_persisted[t]) continue;
    const std::uint32_t rb = rowBytes(t);
    const std::uint32_t from = m_persisted[t] * rb, bytes = (m_produced[t] - m_persisted[t]) * rb;
    if (!m_nvm.write(m_layout.tensorOffset[t] + from, m_arena + m_plan.offset[t] + from, bytes)) return false;
    m_persisted[t] = m_produced[t];
    written += bytes;
  }
  const Progress next{m_progress.inference, layer, row, m_progress.jobsCommitted + 1, 0, 0};
  if (!m_record.commit(next)) return false;
  m_progress = next;
  if (observer) {
    const auto rows = layer < m_model.layerCount() ? m_model.tensor(current).shape.h : 1;
    observer->onCommit(m_progress, static_cast<std::uint16_t>(rows), written);
  }
  return true;
}

std::uint64_t ResidentRuntime::finalCommitCycles() const {
  const auto outputBytes = static_cast<std::uint64_t>(m_model.tensor(m_model.outputTensor()).shape.size());
  return m_commitCycles + m_nvmCosts.write(outputBytes);
}

RunStatus ResidentRuntime::restore() {
  m_active = m_record.load(m_progress);
  m_bootCycles = m_monitor.cyclesNow();  // this boot's start-up: what the next cold boot will cost too
  m_runningIntoBrownOut = false;
  resetTracking();
  if (!m_active) return RunStatus::Idle;
  if (m_progress.layer >= m_model.layerCount()) return RunStatus::Done;
  // Count the boots since the last commit: each makes the reserve larger.
  Progress next = m_progress;
  if (next.stalledBoots < 0xFFFF) ++next.stalledBoots;
  if (!m_record.commit(next)) return RunStatus::PowerFailed;
  m_progress = next;
  return RunStatus::PowerFailed;  // in progress: resume() continues
}

RunStatus ResidentRuntime::start(const std::uint8_t* image, std::uint32_t inference, JobObserver* observer) {
  const std::uint16_t input = m_model.inputTensor();
  const TensorInfo info = m_model.tensor(input);
  const std::uint32_t size = static_cast<std::uint32_t>(info.shape.size());
  std::int8_t* at = m_arena + m_plan.offset[input];
  quantizeImage(m_model, image, 0, size, at);
  if (!m_nvm.write(m_layout.tensorOffset[input], at, size)) return RunStatus::PowerFailed;
  const Progress next{inference, 0, 0, m_progress.jobsCommitted, 0, 0};
  if (!m_record.commit(next)) return RunStatus::PowerFailed;
  m_progress = next;
  m_active = true;
  resetTracking();
  for (std::int32_t r = 0; r < info.shape.h; ++r) m_resident[input] |= bit(r);
  return resume(observer);
}

RunStatus ResidentRuntime::resumeFixedBands(JobObserver* observer) {
  std::uint16_t layer = m_progress.layer;
  std::int32_t row = m_progress.job;
  while (layer < m_model.layerCount()) {
    const LayerInfo l = m_model.layer(layer);
    const Shape in = m_model.tensor(l.input0).shape;
    const std::int32_t rows = m_model.tensor(l.output).shape.h;
    while (row < rows) {
      const std::int32_t band = std::min(m_fixedBandRows, rows - row);
      const RowWindow w = inputRows(l, in, row, row + band);
      if (observer) observer->onWork(layer);
      if (!ensureRows(l.input0, w.first, w.last)) return RunStatus::PowerFailed;
      if (l.op == ModelOp::Add && !ensureRows(l.input1, row, row + band)) return RunStatus::PowerFailed;
      computeRows(layer, row, row + band);
      row += band;
      if (!checkpoint(layer, static_cast<std::uint16_t>(row), observer)) return RunStatus::PowerFailed;
    }
    ++layer;
    row = 0;
  }
  if (!checkpoint(layer, 0, observer)) return RunStatus::PowerFailed;
  return RunStatus::Done;
}

RunStatus ResidentRuntime::resume(JobObserver* observer) {
  if (!m_active) return RunStatus::Idle;
  if (!m_supported) return RunStatus::PowerFailed;
  if (m_fixedBandRows > 0) return resumeFixedBands(observer);
  // The planner's cost of a row per layer, and of everything from a layer on.
  std::uint64_t rowCost[kMaxLayers], callCost[kMaxLayers], fromLayer[kMaxLayers + 1];
  fromLayer[m_model.layerCount()] = 0;
  for (std::int32_t i = m_model.layerCount() - 1; i >= 0; --i) {
    const auto index = static_cast<std::uint16_t>(i);
    rowCost[i] = estimateRowCycles(m_model, index, 0);
    callCost[i] = estimateCallCycles(m_model, index);
    fromLayer[i] = fromLayer[i + 1] + rowCost[i] * static_cast<std::uint64_t>(m_model.tensor(m_model.layer(index).output).shape.h);
  }
  const Real finalCycles = static_cast<Real>(finalCommitCycles());  // the last checkpoint
  std::uint16_t layer = m_progress.layer;
  std::int32_t row = m_progress.job;
  // Online correction of the cost model: cycles really spent (the device's
  // counter) vs estimated since this boot or the last wake-up.
  std::uint32_t windowStart = m_monitor.cyclesNow();
  std::uint64_t windowEstimate = 0;
  std::uint64_t spentBefore = 0, estimatedBefore = 0;  // earlier windows of this boot
  while (layer < m_model.layerCount()) {
    const LayerInfo l = m_model.layer(layer);
    const Shape in = m_model.tensor(l.input0).shape;
    const std::int32_t rows = m_model.tensor(l.output).shape.h;
    const std::uint64_t rowCycles = rowCost[layer];
    std::uint64_t lastRowCycles = 0;  // what the previous row of this layer really took
    for (; row < rows; ++row) {
      const RowWindow w = inputRows(l, in, row, row + 1);
      // What the next row reads from NVM, if it is not in SRAM yet.
      std::uint64_t loadBytes = 0;
      for (std::int32_t r = w.first; r < w.last; ++r)
        if (!(m_resident[l.input0] & bit(r))) loadBytes += rowBytes(l.input0);
      // A boot that restored a state and then never committed (stalledBoots
      // 2 and more) means the last reserve was too small: grow it.
      const std::uint64_t caution = m_progress.stalledBoots > 1 ? m_progress.stalledBoots : 1;
      // The next row at the larger of its estimate and what the previous row
      // of this layer really took, twice: the check comes only between bands.
      const std::uint64_t nextRow = 2 * (lastRowCycles > rowCycles ? lastRowCycles : rowCycles);
      const std::uint64_t nextRowReserve = caution * (m_commitCycles + nextRow + m_nvmCosts.read(loadBytes));
      bool fellToFloor = false, finishing = false;
      std::uint64_t reserve = 0;
      for (;;) {
        std::uint32_t tensors = 0;
        const std::uint64_t unsaved = unsavedBytes(layer, tensors);
        // (A wake from a sleep that fell to the floor first waits for the NVM.)
        // Writing what is unsaved, at the caution this boot has earned.
        const std::uint64_t saveCycles =
            caution * (unsaved * m_nvmCosts.cyclesPerByte + tensors * m_nvmCosts.writeOverheadCycles);
        reserve = nextRowReserve + m_nvmCosts.wakeCycles + saveCycles;
        const bool moved = layer != m_progress.layer || row != m_progress.job;
        const std::uint32_t left = m_monitor.cyclesLeft();
        const std::uint32_t windowSpent = m_monitor.cyclesNow() - windowStart;
        const std::uint64_t spent = spentBefore + windowSpent;
        const std::uint64_t estimated = estimatedBefore + windowEstimate;
        const Real scale = estimated > 0 && spent > 0 ? static_cast<Real>(spent) / static_cast<Real>(estimated) : 1.0f;
        // The rest of this layer at what its last row really took, when that
        // is more than the corrected estimate (the cost model's error differs
        // from layer to layer; a single row costs more than a row of a band).
        const Real thisRow = std::max(static_cast<Real>(lastRowCycles), scale * static_cast<Real>(rowCycles));
        const Real rest = scale * static_cast<Real>(fromLayer[layer + 1]) + thisRow * static_cast<Real>(rows - row);
        const EnergyState state{left, reserve, nextRow, rest, finalCycles, unsaved == 0 && !moved, fellToFloor};
        const EnergyDecision decision = decideEnergy(state);
        finishing = decision.action == EnergyAction::Finish;
        if (decision.action == EnergyAction::Finish || decision.action == EnergyAction::Run) {
          m_runningIntoBrownOut = false;  // the harvest came back after all
          break;
        }
        if (m_runningIntoBrownOut) {
          // Each row run on is kept while the energy still pays for writing
          // it and its commit (as HAWAII keeps every row), so the brown-out
          // loses about one row, not the reserve's margin.
          const std::uint64_t keep = saveCycles + caution * m_commitCycles;
          if (unsaved > 0 && left > keep && !checkpoint(layer, static_cast<std::uint16_t>(row), observer))
            return RunStatus::PowerFailed;
          break;
        }
        // Waiting for energy: asleep and powered, or shut down.
        const bool checkpointFirst = decision.action == EnergyAction::CheckpointThenSleep;
        std::uint32_t want = decision.want, floor = checkpointFirst ? 0 : decision.floor;
        // A brown-out cuts about one row (nextRow holds two at their worst).
        const WaitChoice choice = chooseWait(layer, row, left, checkpointFirst, nextRow / 2, want, floor, observer);
        if (choice == WaitChoice::Failed) return RunStatus::PowerFailed;
        if (choice == WaitChoice::RunOn) break;
        if (checkpointFirst) {
          // Just enough left to persist what must survive: checkpoint, then
          // sleep for energy (or run on into the brown-out if we cannot).
          if (!checkpoint(layer, static_cast<std::uint16_t>(row), observer)) return RunStatus::PowerFailed;
          if (!sleepForEnergy(want, floor)) break;
        } else {
          // Low: sleep without a checkpoint; wake with the energy wanted, or
          // at the reserve should the capacitor drain meanwhile (then the
          // checkpoint above follows).
          if (!sleepForEnergy(want, floor)) {
            if (!checkpoint(layer, static_cast<std::uint16_t>(row), observer)) return RunStatus::PowerFailed;
            break;
          }
          fellToFloor = m_monitor.cyclesLeft() < reserve + sleepHeadroom(state);
        }
        spentBefore += windowSpent;
        estimatedBefore += windowEstimate;
        windowStart = m_monitor.cyclesNow();
        windowEstimate = 0;
      }
      // Rows go in bands (one kernel call) while the energy is plentiful:
      // fewer calls, less per-call overhead; one row at a time near the end,
      // unless the energy suffices to finish: then no check is needed
      // before the end, and the rest of the layer goes in one band.
      const std::uint32_t now = m_monitor.cyclesLeft();
      // Without the finish in reach: one row, and one more for every
      // 2 * nextRow the energy holds above the reserve.
      std::int32_t band = 1;
      if (finishing) {
        band = rows - row;
      } else if (now > reserve + 2 * nextRow) {
        const std::uint64_t more = (now - reserve - 1) / (2 * nextRow);
        band = more >= static_cast<std::uint64_t>(rows - row) ? rows - row : 1 + static_cast<std::int32_t>(more);
      }
      band = std::max<std::int32_t>(1, std::min<std::int32_t>(band, m_maxBandRows));
      const RowWindow bw = inputRows(l, in, row, row + band);
      if (observer) observer->onWork(layer);
      if (!ensureRows(l.input0, bw.first, bw.last)) return RunStatus::PowerFailed;
      if (l.op == ModelOp::Add && !ensureRows(l.input1, row, row + band)) return RunStatus::PowerFailed;
      const std::uint32_t beforeRow = m_monitor.cyclesNow();
      computeRows(layer, row, row + band);
      lastRowCycles = (m_monitor.cyclesNow() - beforeRow) / static_cast<std::uint32_t>(band);
      // A band pays its kernel call once (rowCycles holds one call per row).
      windowEstimate += (rowCycles - callCost[layer]) * static_cast<std::uint64_t>(band) + callCost[layer];
      row += band - 1;  // the loop's ++row moves past the band
    }
    ++layer;
    row = 0;
  }
  if (!checkpoint(layer, 0, observer)) return RunStatus::PowerFailed;
  return RunStatus::Done;
}

int ResidentRuntime::result(std::int8_t* logits, int maxLogits) {
  return readResult(m_model, m_layout, m_nvm, logits, maxLogits);
}

}  // namespace aidi::fw
