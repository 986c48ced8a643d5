#include "intermittent_runtime.hpp"

#include "aidi/kernels/ref.hpp"
#include "baseline_decisions.hpp"
#include "row_window.hpp"

namespace aidi::fw {
namespace {

std::uint32_t align4(std::uint32_t v) { return (v + 3u) & ~3u; }

// HAWAII's footprint of a layer: rows preserved, in the inference's
// generation, with a version written last (a torn write keeps the old one).
struct Footprint {
  std::uint16_t rows;
  std::uint8_t generation;
  std::uint8_t version;  // 1..255 cycling; 0: never written
};
static_assert(sizeof(Footprint) == 4, "a footprint is one word");

// DynBal's position at the last boot: the work between it and this boot's
// position is what the last power cycle did.
struct BootMark {
  std::uint32_t inference;
  std::uint16_t generation;
  std::uint16_t layer;
  std::uint16_t row;
  std::uint16_t reserved;
};
constexpr std::uint32_t kBootMarkMagic = 0x4B524D42u;  // "BMRK"
using BootMarkRecord = NvmRecord<BootMark>;

// SONIC's loop index: where the loop continues, version written last.
struct LoopIndex {
  std::uint16_t layer;
  std::uint16_t row;
  std::uint16_t pass;
  std::uint8_t generation;
  std::uint8_t version;  // 1..255 cycling; 0: never written
};
static_assert(sizeof(LoopIndex) == 8, "the loop index is two words");

// The header of SONIC's undo log, written after the old sums it keeps.
struct UndoHeader {
  std::uint16_t layer;
  std::uint16_t pass;  // the pass whose in-place update the log undoes
  std::uint16_t generation;
  std::uint16_t marker;  // kUndoMarker: the log is whole
};
constexpr std::uint16_t kUndoMarker = 0x5D0Cu;

bool partialSums(const LayerInfo& l) { return l.op == ModelOp::Conv2d || l.op == ModelOp::FullyConnected; }

// The int32 partial sums of one output row of `l`.
std::uint32_t accRowBytes(const ModelView& model, const LayerInfo& l) {
  const Shape out = model.tensor(l.output).shape;
  return static_cast<std::uint32_t>(out.w * out.c) * 4u;
}

// The versioned words in two copies (HAWAII's footprints, SONIC's loop
// index): which copy is the newer by its version, -1 when neither was
// written; and the version the next write carries (1..255, never 0).
int newerCopy(std::uint8_t a, std::uint8_t b) {
  if (a && b) return static_cast<std::uint8_t>(a - b) < 128 ? 0 : 1;
  if (a || b) return a ? 0 : 1;
  return -1;
}
std::uint8_t nextVersion(std::uint8_t version) { return static_cast<std::uint8_t>(version == 255 ? 1 : version + 1); }

std::uint8_t stateOf(std::uint16_t generation) { return static_cast<std::uint8_t>(generation); }

}  // namespace

bool planNvm(const ModelView& model, std::uint32_t nvmBytes, NvmLayout& layout, JobProgress progress) {
  if (model.tensorCount() > kMaxTensors || model.layerCount() > kMaxLayers) return false;
  layout.planOffset = align4(ProgressRecord::kBytes);
  layout.footprintOffset = align4(layout.planOffset + sizeof(JobPlan));
  layout.bootMarkOffset = layout.footprintOffset + 2u * sizeof(Footprint) * kMaxLayers;
  std::uint32_t at = align4(layout.bootMarkOffset + BootMarkRecord::kBytes);
  if (progress == JobProgress::LoopIndex) {
    std::uint32_t accBytes = 0;
    for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
      const LayerInfo l = model.layer(i);
      if (partialSums(l) && accRowBytes(model, l) > accBytes) accBytes = accRowBytes(model, l);
    }
    layout.loopIndexOffset = at;
    layout.partialOffset[0] = at + 2u * sizeof(LoopIndex);
    layout.partialOffset[1] = layout.partialOffset[0] + accBytes;
    layout.undoOffset = layout.partialOffset[1] + accBytes;
    at = align4(layout.undoOffset + accBytes + sizeof(UndoHeader));
  }
  for (std::uint16_t t = 0; t < model.tensorCount(); ++t) {
    const Shape shape = model.tensor(t).shape;
    layout.stateBytes[t] = progress == JobProgress::States && t != model.inputTensor() ? 1 : 0;
    layout.tensorOffset[t] = at;
    at = align4(at + static_cast<std::uint32_t>(shape.size() + layout.stateBytes[t] * shape.h));
  }
  layout.bytes = at;
  return at <= nvmBytes;
}

std::uint32_t tileScratchBytes(const ModelView& model, std::uint16_t index, std::uint16_t rows, JobProgress progress) {
  const LayerInfo l = model.layer(index);
  const Shape in = model.tensor(l.input0).shape, out = model.tensor(l.output).shape;
  const bool rowByRow = progress != JobProgress::Record;
  if (progress == JobProgress::LoopIndex) {
    // One output row: its window, its sums and the sums it replaces, the row.
    std::uint32_t window = l.op == ModelOp::FullyConnected || l.op == ModelOp::Add
                               ? static_cast<std::uint32_t>(l.op == ModelOp::Add ? 1 : in.h)
                               : static_cast<std::uint32_t>(l.kernelH);
    if (window > static_cast<std::uint32_t>(in.h)) window = static_cast<std::uint32_t>(in.h);
    const std::uint32_t outRow = static_cast<std::uint32_t>(out.w * out.c);
    return align4(window * static_cast<std::uint32_t>(in.w * in.c)) + 2u * outRow * 4u + align4(outRow) * 2u;
  }
  // Room for a state byte per row read and per row written.
  const std::uint32_t extra = progress == JobProgress::States ? 1 : 0;
  const std::uint32_t outRowBytes = static_cast<std::uint32_t>(out.w * out.c);
  const std::uint32_t inRowBytes = static_cast<std::uint32_t>(in.w * in.c);
  const auto bytesFor = [&](std::uint32_t windowRows, std::uint32_t bandRows) {
    std::uint32_t bytes = align4(windowRows * (inRowBytes + extra)) + align4((rowByRow ? 1u : bandRows) * outRowBytes + extra);
    if (l.op == ModelOp::Add) bytes += align4(bandRows * (outRowBytes + extra));
    return bytes;
  };
  if (rowByRow) {
    // A tile starts wherever the last power cycle stopped: the worst is an
    // unclipped window (the first tile's is clipped by the padding).
    const std::uint32_t band = rows < out.h ? rows : static_cast<std::uint32_t>(out.h);
    std::uint32_t window = band;
    if (l.op == ModelOp::FullyConnected) window = static_cast<std::uint32_t>(in.h);
    else if (l.op != ModelOp::Add) window = (band - 1) * static_cast<std::uint32_t>(l.strideH) + static_cast<std::uint32_t>(l.kernelH);
    if (window > static_cast<std::uint32_t>(in.h)) window = static_cast<std::uint32_t>(in.h);
    return bytesFor(window, band);
  }
  std::uint32_t need = 0;
  // The worst of the plan's tiles.
  for (std::int32_t r0 = 0; r0 < out.h; r0 += rows) {
    const std::int32_t r1 = r0 + rows > out.h ? out.h : r0 + rows;
    const RowWindow w = inputRows(l, in, r0, r1);
    const std::uint32_t bytes = bytesFor(static_cast<std::uint32_t>(w.last - w.first), static_cast<std::uint32_t>(r1 - r0));
    if (bytes > need) need = bytes;
  }
  return need;
}

std::uint32_t scratchBytesNeeded(const ModelView& model, const JobPlan& plan, JobProgress progress) {
  std::uint32_t most = 0;
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
    const std::uint32_t need = tileScratchBytes(model, i, plan.rowsPerJob[i], progress);
    if (need > most) most = need;
  }
  return most;
}

IntermittentRuntime::IntermittentRuntime(const ModelView& model, const KernelSet& kernels, const JobPlan& plan,
                                         const NvmLayout& layout, Nvm& nvm, std::int8_t* scratch,
                                         std::uint32_t scratchBytes, const JobEngineOptions& options)
    : m_model(model),
      m_kernels(kernels),
      m_startPlan(plan),
      m_plan(plan),
      m_layout(layout),
      m_nvm(nvm),
      m_record(nvm, 0),
      m_scratch(scratch),
      m_scratchBytes(scratchBytes),
      m_options(options) {}

std::uint16_t IntermittentRuntime::rowsPerJob(std::uint16_t layer) const {
  return (layer == m_progress.layer && m_progress.rowsPerJob) ? m_progress.rowsPerJob : m_plan.rowsPerJob[layer];
}

std::uint16_t IntermittentRuntime::jobsIn(std::uint16_t layer) const {
  const std::uint16_t rows = outputRowsOf(m_model, layer);
  const std::uint16_t per = rowsPerJob(layer);
  return static_cast<std::uint16_t>((rows + per - 1) / per);
}

std::uint32_t IntermittentRuntime::rowOffset(std::uint16_t tensor, std::int32_t row) const {
  const Shape s = m_model.tensor(tensor).shape;
  return m_layout.tensorOffset[tensor] + static_cast<std::uint32_t>(row) * static_cast<std::uint32_t>(s.w * s.c + m_layout.stateBytes[tensor]);
}

// Rows [first, first + count) of a tensor into `to`, packed. Stateful's
// "state clearer": a tensor with a state byte per row is read a row at a
// time, each row to its packed place (a read command per row costs less
// than moving the rows together in SRAM).
void IntermittentRuntime::readRows(std::uint16_t tensor, std::int32_t first, std::int32_t count, std::int8_t* to) {
  const Shape s = m_model.tensor(tensor).shape;
  const std::uint32_t rowBytes = static_cast<std::uint32_t>(s.w * s.c);
  if (!m_layout.stateBytes[tensor]) {
    m_nvm.read(rowOffset(tensor, first), to, rowBytes * static_cast<std::uint32_t>(count));
    return;
  }
  for (std::int32_t r = 0; r < count; ++r)
    m_nvm.read(rowOffset(tensor, first + r), to + static_cast<std::uint32_t>(r) * rowBytes, rowBytes);
}

void IntermittentRuntime::loadFootprint(std::uint16_t layer) {
  Footprint copies[2];
  m_nvm.read(m_layout.footprintOffset + layer * 2u * sizeof(Footprint), copies, sizeof copies);
  const int newer = newerCopy(copies[0].version, copies[1].version);
  m_footprintCopy = static_cast<std::uint8_t>(newer < 0 ? 1 : newer);
  m_footprintVersion = newer < 0 ? 0 : copies[newer].version;
  const bool current = newer >= 0 && copies[newer].generation == stateOf(m_progress.generation);
  m_progress.job = current ? copies[newer].rows : 0;
}

bool IntermittentRuntime::writeFootprint(std::uint16_t layer, std::uint16_t rows) {
  const std::uint8_t version = nextVersion(m_footprintVersion);
  const std::uint8_t copy = static_cast<std::uint8_t>(m_footprintCopy ^ 1);
  const Footprint f{rows, stateOf(m_progress.generation), version};
  if (!m_nvm.write(m_layout.footprintOffset + (layer * 2u + copy) * sizeof(Footprint), &f, sizeof f)) return false;
  m_footprintCopy = copy;
  m_footprintVersion = version;
  return true;
}

// The first row of `layer` not preserved in this generation: rows are
// preserved in order, each with its state byte last, so the preserved ones
// are a prefix (Stateful's progress seeker, a binary search).
std::uint16_t IntermittentRuntime::rowsDone(std::uint16_t layer) {
  const std::uint16_t out = m_model.layer(layer).output;
  const Shape s = m_model.tensor(out).shape;
  const std::uint8_t state = stateOf(m_progress.generation);
  std::uint16_t lo = 0, hi = static_cast<std::uint16_t>(s.h);
  while (lo < hi) {
    const std::uint16_t mid = static_cast<std::uint16_t>((lo + hi) / 2);
    std::uint8_t seen = 0;
    m_nvm.read(rowOffset(out, mid) + static_cast<std::uint32_t>(s.w * s.c), &seen, 1);
    if (seen == state) lo = static_cast<std::uint16_t>(mid + 1);
    else hi = mid;
  }
  return lo;
}

// DynBal's measurement: the work between the last boot's position and this
// one's, from the cost model (the paper counts the MACs and NVM reads done).
void IntermittentRuntime::measureLastPowerCycle() {
  BootMarkRecord marks(m_nvm, m_layout.bootMarkOffset, kBootMarkMagic);
  BootMark last{};
  m_lastCycleWork = 0;
  if (marks.load(last) && last.inference == m_progress.inference && last.generation == m_progress.generation &&
      (last.layer < m_progress.layer || (last.layer == m_progress.layer && last.row <= m_progress.job))) {
    std::uint16_t layer = last.layer, row = last.row;
    while (layer < m_progress.layer || (layer == m_progress.layer && row < m_progress.job)) {
      const std::uint16_t end = layer == m_progress.layer ? m_progress.job : outputRowsOf(m_model, layer);
      m_lastCycleWork += std::uint64_t(end - row) * estimateRowCycles(m_model, layer, m_options.costs.cyclesPerByte);
      ++layer, row = 0;
    }
  }
  const BootMark now{m_progress.inference, m_progress.generation, m_progress.layer, m_progress.job, 0};
  marks.commit(now);  // a failure here shows at the next write
}

// On entering a layer (after a boot, or the previous layer preserved): how
// many of its rows are preserved, from its footprint (HAWAII) or its states
// (Stateful); then, for DynBal, its tile.
void IntermittentRuntime::enterLayer(std::uint16_t layer, bool afterBoot) {
  if (m_options.progress == JobProgress::Footprints) loadFootprint(layer);
  else if (m_options.progress == JobProgress::LoopIndex) loadLoopIndex(layer);
  else if (afterBoot) m_progress.job = rowsDone(layer);
  if (afterBoot && m_options.rebalanceTiles) measureLastPowerCycle();
  if (!m_options.rebalanceTiles) return;
  // The largest tile the scratch holds (the bytes grow with the rows).
  std::uint16_t most = 1, beyond = static_cast<std::uint16_t>(outputRowsOf(m_model, layer) + 1);
  while (beyond - most > 1) {
    const std::uint16_t mid = static_cast<std::uint16_t>((most + beyond) / 2);
    if (tileScratchBytes(m_model, layer, mid, m_options.progress) <= m_scratchBytes) most = mid;
    else beyond = mid;
  }
  m_progress.rowsPerJob =
      balanceTile(m_model, layer, m_plan.rowsPerJob[layer], most, m_lastCycleWork, m_options.costs);
}

RunStatus IntermittentRuntime::restore() {
  m_active = m_record.load(m_progress);
  if (!m_active) return RunStatus::Idle;
  m_nvm.read(m_layout.planOffset, &m_plan, sizeof m_plan);
  if (m_progress.layer >= m_model.layerCount()) return RunStatus::Done;
  if (m_options.progress != JobProgress::Record) {
    m_progress.rowsPerJob = 0;
    enterLayer(m_progress.layer, true);
    if (m_options.progress == JobProgress::LoopIndex && !undoInterruptedPass()) m_down = true;
    return RunStatus::PowerFailed;
  }
  if (m_options.splitStalledJobs) {
    Progress next = m_progress;
    const std::uint16_t rows = rowsPerJob(next.layer);
    if (next.stalledBoots >= 1 && rows > 1) {
      // A whole power cycle passed without a commit: split the job. The new
      // size divides the old one, so the rows already done stay whole jobs.
      std::uint16_t factor = 2;
      while (rows % factor) ++factor;
      const std::uint16_t smaller = static_cast<std::uint16_t>(rows / factor);
      next.job = static_cast<std::uint16_t>(next.job * factor);
      next.rowsPerJob = smaller;
      next.stalledBoots = 0;
    } else {
      next.stalledBoots = 1;
    }
    if (!m_record.commit(next)) return RunStatus::PowerFailed;
    m_progress = next;
  }
  return RunStatus::PowerFailed;
}

RunStatus IntermittentRuntime::start(const std::uint8_t* image, std::uint32_t inference, JobObserver* observer) {
  const TensorInfo input = m_model.tensor(m_model.inputTensor());
  const std::uint32_t size = static_cast<std::uint32_t>(input.shape.size());
  // The image goes through SRAM in small pieces: pixel + zero point, int8.
  std::int8_t chunk[64];
  for (std::uint32_t done = 0; done < size;) {
    const std::uint32_t n = size - done < sizeof chunk ? size - done : sizeof chunk;
    quantizeImage(m_model, image, done, n, chunk);
    if (!m_nvm.write(m_layout.tensorOffset[m_model.inputTensor()] + done, chunk, n)) return RunStatus::PowerFailed;
    done += n;
  }
  m_plan = m_startPlan;
  if (!m_nvm.write(m_layout.planOffset, &m_plan, sizeof m_plan)) return RunStatus::PowerFailed;
  // A new generation: rows a cut-off earlier start left behind never pass
  // for this one's.
  const std::uint16_t previous = m_active ? m_progress.generation : 0;
  Progress next{inference, 0, 0, m_progress.jobsCommitted, 0, 0};
  next.generation = static_cast<std::uint16_t>(previous % 255 + 1);
  if (!m_record.commit(next)) return RunStatus::PowerFailed;
  m_progress = next;
  m_active = true;
  if (m_options.progress != JobProgress::Record) {
    m_lastCycleWork = 0;
    if (m_options.rebalanceTiles) measureLastPowerCycle();  // marks where this power cycle began
    enterLayer(0, false);
  }
  return resume(observer);
}

bool IntermittentRuntime::runJob(std::uint16_t layer, std::uint16_t job, std::uint32_t& nvmBytes) {
  const LayerInfo l = m_model.layer(layer);
  const Shape in = m_model.tensor(l.input0).shape, out = m_model.tensor(l.output).shape;
  const std::int32_t per = rowsPerJob(layer);
  const std::int32_t r0 = job * per;
  const std::int32_t r1 = r0 + per > out.h ? out.h : r0 + per;
  const RowWindow w = inputRows(l, in, r0, r1);
  const std::uint32_t inBytes = static_cast<std::uint32_t>((w.last - w.first) * in.w * in.c);
  const std::uint32_t outRowBytes = static_cast<std::uint32_t>(out.w * out.c);
  const std::uint32_t outBytes = static_cast<std::uint32_t>(r1 - r0) * outRowBytes;

  std::int8_t* inBuf = m_scratch;
  std::int8_t* in2Buf = inBuf + align4(inBytes);
  std::int8_t* outBuf = in2Buf + (l.op == ModelOp::Add ? align4(outBytes) : 0);
  readRows(l.input0, w.first, w.last - w.first, inBuf);
  const TensorSlice inSlice{Shape{w.last - w.first, in.w, in.c}, inBuf};
  const TensorSlice outSlice{Shape{r1 - r0, out.w, out.c}, outBuf};
  const TensorSlice in2Slice{outSlice.shape, in2Buf};
  if (l.op == ModelOp::Add) readRows(l.input1, r0, r1 - r0, in2Buf);
  executeLayer(m_model, m_kernels, l, inSlice, l.op == ModelOp::Add ? &in2Slice : nullptr, w.padTop, outSlice);
  nvmBytes = outBytes;
  return m_nvm.write(rowOffset(l.output, r0), outBuf, outBytes);
}

// HAWAII and Stateful: a tile's inputs fetched once, its rows computed and
// preserved one by one, each a job of its own.
RunStatus IntermittentRuntime::runRowsPreserved(std::uint16_t layer, JobObserver* observer) {
  const LayerInfo l = m_model.layer(layer);
  const Shape in = m_model.tensor(l.input0).shape, out = m_model.tensor(l.output).shape;
  const std::int32_t r0 = m_progress.job;
  const std::int32_t r1 = r0 + rowsPerJob(layer) > out.h ? out.h : r0 + rowsPerJob(layer);
  const RowWindow w = inputRows(l, in, r0, r1);
  const std::uint32_t inRowBytes = static_cast<std::uint32_t>(in.w * in.c);
  const std::uint32_t outRowBytes = static_cast<std::uint32_t>(out.w * out.c);
  const std::uint32_t stateBytes = m_layout.stateBytes[l.output];

  std::int8_t* inBuf = m_scratch;
  std::int8_t* in2Buf = inBuf + align4(static_cast<std::uint32_t>(w.last - w.first) * (inRowBytes + stateBytes));
  std::int8_t* outBuf =
      in2Buf + (l.op == ModelOp::Add ? align4(static_cast<std::uint32_t>(r1 - r0) * (outRowBytes + stateBytes)) : 0);
  readRows(l.input0, w.first, w.last - w.first, inBuf);
  if (l.op == ModelOp::Add) readRows(l.input1, r0, r1 - r0, in2Buf);
  const std::uint16_t jobs = static_cast<std::uint16_t>(out.h);
  for (std::int32_t r = r0; r < r1; ++r) {
    const RowWindow rw = inputRows(l, in, r, r + 1);
    const TensorSlice inSlice{Shape{rw.last - rw.first, in.w, in.c},
                              inBuf + static_cast<std::uint32_t>(rw.first - w.first) * inRowBytes};
    const TensorSlice outSlice{Shape{1, out.w, out.c}, outBuf};
    const TensorSlice in2Slice{outSlice.shape, in2Buf + static_cast<std::uint32_t>(r - r0) * outRowBytes};
    executeLayer(m_model, m_kernels, l, inSlice, l.op == ModelOp::Add ? &in2Slice : nullptr, rw.padTop, outSlice);
    if (stateBytes) outBuf[outRowBytes] = static_cast<std::int8_t>(stateOf(m_progress.generation));
    if (!m_nvm.write(rowOffset(l.output, r), outBuf, outRowBytes + stateBytes)) return RunStatus::PowerFailed;
    if (m_options.progress == JobProgress::Footprints && !writeFootprint(layer, static_cast<std::uint16_t>(r + 1)))
      return RunStatus::PowerFailed;
    ++m_progress.job;
    ++m_progress.jobsCommitted;
    if (observer) observer->onCommit(m_progress, jobs, outRowBytes + stateBytes);
  }
  return RunStatus::Done;
}

std::uint16_t sonicPasses(const ModelView& model, const LayerInfo& l) {
  if (!partialSums(l)) return 1;
  const Shape in = model.tensor(l.input0).shape;
  const std::int32_t channels = l.op == ModelOp::FullyConnected ? in.size() : in.c;
  return static_cast<std::uint16_t>((channels + kSonicPassChannels - 1) / kSonicPassChannels);
}

void IntermittentRuntime::loadLoopIndex(std::uint16_t layer) {
  LoopIndex copies[2];
  m_nvm.read(m_layout.loopIndexOffset, copies, sizeof copies);
  const int newer = newerCopy(copies[0].version, copies[1].version);
  m_indexCopy = static_cast<std::uint8_t>(newer < 0 ? 1 : newer);
  m_indexVersion = newer < 0 ? 0 : copies[newer].version;
  const bool current = newer >= 0 && copies[newer].layer == layer &&
                       copies[newer].generation == stateOf(m_progress.generation);
  m_progress.job = current ? copies[newer].row : 0;
  m_pass = current ? copies[newer].pass : 0;
}

bool IntermittentRuntime::writeLoopIndex(std::uint16_t layer, std::uint16_t row, std::uint16_t pass) {
  const std::uint8_t version = nextVersion(m_indexVersion);
  const std::uint8_t copy = static_cast<std::uint8_t>(m_indexCopy ^ 1);
  const LoopIndex index{layer, row, pass, stateOf(m_progress.generation), version};
  if (!m_nvm.write(m_layout.loopIndexOffset + copy * sizeof(LoopIndex), &index, sizeof index)) return false;
  m_indexCopy = copy;
  m_indexVersion = version;
  return true;
}

// SONIC's undo log: a fully connected pass updates its sums in place; if the
// pass the loop index names logged its old sums whole, the update may have
// begun: put them back before the pass runs again.
bool IntermittentRuntime::undoInterruptedPass() {
  if (m_progress.layer >= m_model.layerCount()) return true;
  const LayerInfo l = m_model.layer(m_progress.layer);
  if (l.op != ModelOp::FullyConnected || m_pass == 0) return true;
  const std::uint32_t bytes = accRowBytes(m_model, l);
  UndoHeader header{};
  m_nvm.read(m_layout.undoOffset + bytes, &header, sizeof header);
  if (header.marker != kUndoMarker || header.layer != m_progress.layer || header.pass != m_pass ||
      header.generation != m_progress.generation)
    return true;
  std::int8_t* old = m_scratch;
  m_nvm.read(m_layout.undoOffset, old, bytes);
  return m_nvm.write(m_layout.partialOffset[0], old, bytes);
}

// One iteration of SONIC's loop: a pass over a group of input channels of
// one output row (the last pass requantizes and preserves the row), or a
// whole row of a layer without partial sums; then the loop index.
RunStatus IntermittentRuntime::runSonicIteration(std::uint16_t layer, JobObserver* observer) {
  const LayerInfo l = m_model.layer(layer);
  const Shape in = m_model.tensor(l.input0).shape, out = m_model.tensor(l.output).shape;
  const std::int32_t r = m_progress.job;
  const std::uint16_t passes = sonicPasses(m_model, l);
  const std::uint32_t outRowBytes = static_cast<std::uint32_t>(out.w * out.c);
  const std::uint32_t inRowBytes = static_cast<std::uint32_t>(in.w * in.c);
  const RowWindow w = inputRows(l, in, r, r + 1);
  std::int8_t* inBuf = m_scratch;
  std::int32_t* acc = reinterpret_cast<std::int32_t*>(inBuf + align4(static_cast<std::uint32_t>(w.last - w.first) * inRowBytes));
  std::int32_t* old = acc + outRowBytes;
  std::int8_t* outBuf = reinterpret_cast<std::int8_t*>(old + outRowBytes);
  std::int8_t* in2Buf = outBuf + align4(outRowBytes);
  readRows(l.input0, w.first, w.last - w.first, inBuf);
  std::uint16_t nextRow = static_cast<std::uint16_t>(r + 1), nextPass = 0;
  if (!partialSums(l)) {
    const TensorSlice inSlice{Shape{w.last - w.first, in.w, in.c}, inBuf};
    const TensorSlice outSlice{Shape{1, out.w, out.c}, outBuf};
    const TensorSlice in2Slice{outSlice.shape, in2Buf};
    if (l.op == ModelOp::Add) readRows(l.input1, r, 1, in2Buf);
    executeLayer(m_model, m_kernels, l, inSlice, l.op == ModelOp::Add ? &in2Slice : nullptr, w.padTop, outSlice);
    if (!m_nvm.write(rowOffset(l.output, r), outBuf, outRowBytes)) return RunStatus::PowerFailed;
  } else {
    const bool fc = l.op == ModelOp::FullyConnected;
    const std::uint32_t bytes = outRowBytes * 4u;
    const std::uint16_t pass = m_pass;
    if (pass == 0) {
      for (std::uint32_t i = 0; i < outRowBytes; ++i) acc[i] = l.bias ? l.bias[i % static_cast<std::uint32_t>(out.c)] : 0;
    } else {
      // Loop-ordered buffering: the previous pass's sums, from the buffer this pass does not write.
      m_nvm.read(fc ? m_layout.partialOffset[0] : m_layout.partialOffset[(pass - 1) % 2], acc, bytes);
    }
    ConvParams params = convParamsOf(m_model, l, w.padTop);
    Shape inShape{w.last - w.first, in.w, in.c};
    if (fc) {
      params.kernelH = params.kernelW = params.strideH = params.strideW = 1;
      params.padTop = params.padLeft = 0;
      inShape = Shape{1, 1, in.size()};
    }
    const std::int32_t channels = fc ? in.size() : in.c;
    const std::int32_t c0 = pass * kSonicPassChannels;
    const std::int32_t c1 = c0 + kSonicPassChannels < channels ? c0 + kSonicPassChannels : channels;
    if (fc && pass > 0 && pass + 1 < passes)
      for (std::uint32_t i = 0; i < outRowBytes; ++i) old[i] = acc[i];
    m_kernels.convAccumulate(params, inShape, inBuf, l.weights, Shape{1, out.w, out.c}, c0, c1, acc);
    if (pass + 1 == passes) {
      ref::requantize_s32(params, PerChannelQuant{l.multiplier, l.shift}, out.w, out.c, acc, outBuf);
      if (!m_nvm.write(rowOffset(l.output, r), outBuf, outRowBytes)) return RunStatus::PowerFailed;
    } else if (fc) {
      // Updated in place (SONIC's sparse layers): the old sums logged first, whole, then the header.
      if (pass > 0) {
        const UndoHeader header{layer, pass, m_progress.generation, kUndoMarker};
        if (!m_nvm.write(m_layout.undoOffset, old, bytes)) return RunStatus::PowerFailed;
        if (!m_nvm.write(m_layout.undoOffset + bytes, &header, sizeof header)) return RunStatus::PowerFailed;
      }
      if (!m_nvm.write(m_layout.partialOffset[0], acc, bytes)) return RunStatus::PowerFailed;
      nextRow = static_cast<std::uint16_t>(r), nextPass = static_cast<std::uint16_t>(pass + 1);
    } else {
      if (!m_nvm.write(m_layout.partialOffset[pass % 2], acc, bytes)) return RunStatus::PowerFailed;
      nextRow = static_cast<std::uint16_t>(r), nextPass = static_cast<std::uint16_t>(pass + 1);
    }
  }
  if (!writeLoopIndex(layer, nextRow, nextPass)) return RunStatus::PowerFailed;
  m_progress.job = nextRow;
  m_pass = nextPass;
  ++m_progress.jobsCommitted;
  if (observer) observer->onCommit(m_progress, static_cast<std::uint16_t>(out.h), outRowBytes);
  return RunStatus::Done;
}

RunStatus IntermittentRuntime::resumeRowByRow(JobObserver* observer) {
  if (m_down) return RunStatus::PowerFailed;
  while (m_progress.layer < m_model.layerCount()) {
    if (m_progress.job >= outputRowsOf(m_model, m_progress.layer)) {
      // The layer is preserved: the one progress write it costs.
      Progress next = m_progress;
      ++next.layer;
      next.job = 0;
      next.rowsPerJob = 0;
      if (!m_record.commit(next)) return RunStatus::PowerFailed;
      m_progress = next;
      if (m_progress.layer < m_model.layerCount()) enterLayer(m_progress.layer, false);
      continue;
    }
    if (observer) observer->onWork(m_progress.layer);
    const RunStatus status = m_options.progress == JobProgress::LoopIndex ? runSonicIteration(m_progress.layer, observer)
                                                                          : runRowsPreserved(m_progress.layer, observer);
    if (status == RunStatus::PowerFailed) return RunStatus::PowerFailed;
  }
  return RunStatus::Done;
}

RunStatus IntermittentRuntime::resume(JobObserver* observer) {
  if (!m_active) return RunStatus::Idle;
  if (m_options.progress != JobProgress::Record) return resumeRowByRow(observer);
  while (m_progress.layer < m_model.layerCount()) {
    std::uint32_t nvmBytes = 0;
    if (observer) observer->onWork(m_progress.layer);
    if (!runJob(m_progress.layer, m_progress.job, nvmBytes)) return RunStatus::PowerFailed;
    Progress next = m_progress;
    ++next.jobsCommitted;
    next.stalledBoots = 0;
    const std::uint16_t jobs = jobsIn(next.layer);
    if (++next.job >= jobs) {
      ++next.layer;
      next.job = 0;
      next.rowsPerJob = 0;
    }
    if (!m_record.commit(next)) return RunStatus::PowerFailed;
    m_progress = next;
    if (observer) observer->onCommit(m_progress, jobs, nvmBytes);
  }
  return RunStatus::Done;
}

int IntermittentRuntime::result(std::int8_t* logits, int maxLogits) {
  return readResult(m_model, m_layout, m_nvm, logits, maxLogits);
}

int readResult(const ModelView& model, const NvmLayout& layout, Nvm& nvm, std::int8_t* logits, int maxLogits) {
  const std::uint16_t out = model.outputTensor();
  const Shape shape = model.tensor(out).shape;
  const std::int32_t rowBytes = shape.w * shape.c;
  int best = 0;
  std::int8_t bestValue = -128;
  // A few reads of up to 32 bytes, within a row (a row's state byte stays
  // out): each NVM read pays a command's overhead.
  std::int8_t chunk[32];
  for (std::int32_t i = 0; i < shape.size();) {
    const std::int32_t row = i / rowBytes, column = i % rowBytes;
    std::int32_t count = rowBytes - column;
    if (count > static_cast<std::int32_t>(sizeof chunk)) count = static_cast<std::int32_t>(sizeof chunk);
    nvm.read(layout.tensorOffset[out] + static_cast<std::uint32_t>(row * (rowBytes + layout.stateBytes[out]) + column),
             chunk, static_cast<std::uint32_t>(count));
    for (std::int32_t j = 0; j < count; ++j) {
      const std::int8_t v = chunk[j];
      if (i + j < maxLogits) logits[i + j] = v;
      if (i + j == 0 || v > bestValue) best = i + j, bestValue = v;
    }
    i += count;
  }
  return best;
}

}  // namespace aidi::fw
