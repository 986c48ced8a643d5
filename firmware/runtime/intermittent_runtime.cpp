#include "intermittent_runtime.hpp"

#include "row_window.hpp"

namespace aidi::fw {
namespace {

std::uint32_t align4(std::uint32_t v) { return (v + 3u) & ~3u; }

}  // namespace

bool planNvm(const ModelView& model, std::uint32_t nvmBytes, NvmLayout& layout) {
  if (model.tensorCount() > kMaxTensors) return false;
  layout.planOffset = align4(ProgressRecord::kBytes);
  std::uint32_t at = align4(layout.planOffset + sizeof(JobPlan));
  for (std::uint16_t t = 0; t < model.tensorCount(); ++t) {
    layout.tensorOffset[t] = at;
    at = align4(at + static_cast<std::uint32_t>(model.tensor(t).shape.size()));
  }
  layout.bytes = at;
  return at <= nvmBytes;
}

std::uint32_t scratchBytesNeeded(const ModelView& model, const JobPlan& plan) {
  std::uint32_t most = 0;
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
    const LayerInfo l = model.layer(i);
    const Shape in = model.tensor(l.input0).shape, out = model.tensor(l.output).shape;
    const std::int32_t rows = plan.rowsPerJob[i];
    std::uint32_t need = 0;
    // The worst band: the first one (it may read the most rows near the top).
    for (std::int32_t r0 = 0; r0 < out.h; r0 += rows) {
      const std::int32_t r1 = r0 + rows > out.h ? out.h : r0 + rows;
      const RowWindow w = inputRows(l, in, r0, r1);
      std::uint32_t bytes = align4(static_cast<std::uint32_t>((w.last - w.first) * in.w * in.c)) +
                            align4(static_cast<std::uint32_t>((r1 - r0) * out.w * out.c));
      if (l.op == ModelOp::Add) bytes += align4(static_cast<std::uint32_t>((r1 - r0) * out.w * out.c));
      if (bytes > need) need = bytes;
    }
    if (need > most) most = need;
  }
  return most;
}

IntermittentRuntime::IntermittentRuntime(const ModelView& model, const KernelSet& kernels, const JobPlan& plan,
                                         const NvmLayout& layout, Nvm& nvm, std::int8_t* scratch,
                                         std::uint32_t scratchBytes, bool adaptJobs)
    : m_model(model),
      m_kernels(kernels),
      m_startPlan(plan),
      m_plan(plan),
      m_layout(layout),
      m_nvm(nvm),
      m_record(nvm, 0),
      m_scratch(scratch),
      m_scratchBytes(scratchBytes),
      m_adapt(adaptJobs) {}

std::uint16_t IntermittentRuntime::rowsPerJob(std::uint16_t layer) const {
  return (layer == m_progress.layer && m_progress.rowsPerJob) ? m_progress.rowsPerJob : m_plan.rowsPerJob[layer];
}

std::uint16_t IntermittentRuntime::jobsIn(std::uint16_t layer) const {
  const std::uint16_t rows = static_cast<std::uint16_t>(m_model.tensor(m_model.layer(layer).output).shape.h);
  const std::uint16_t per = rowsPerJob(layer);
  return static_cast<std::uint16_t>((rows + per - 1) / per);
}

RunStatus IntermittentRuntime::restore() {
  m_active = m_record.load(m_progress);
  if (!m_active) return RunStatus::Idle;
  m_nvm.read(m_layout.planOffset, &m_plan, sizeof m_plan);
  if (m_progress.layer >= m_model.layerCount()) return RunStatus::Done;
  if (m_adapt) {
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
  const Progress next{inference, 0, 0, m_progress.jobsCommitted, 0, 0};
  if (!m_record.commit(next)) return RunStatus::PowerFailed;
  m_progress = next;
  m_active = true;
  return resume(observer);
}

bool IntermittentRuntime::runJob(std::uint16_t layer, std::uint16_t job, std::uint32_t& nvmBytes) {
  const LayerInfo l = m_model.layer(layer);
  const Shape in = m_model.tensor(l.input0).shape, out = m_model.tensor(l.output).shape;
  const std::int32_t per = rowsPerJob(layer);
  const std::int32_t r0 = job * per;
  const std::int32_t r1 = r0 + per > out.h ? out.h : r0 + per;
  const RowWindow w = inputRows(l, in, r0, r1);
  const std::uint32_t rowBytes = static_cast<std::uint32_t>(in.w * in.c);
  const std::uint32_t inBytes = static_cast<std::uint32_t>(w.last - w.first) * rowBytes;
  const std::uint32_t outRowBytes = static_cast<std::uint32_t>(out.w * out.c);
  const std::uint32_t outBytes = static_cast<std::uint32_t>(r1 - r0) * outRowBytes;

  std::int8_t* inBuf = m_scratch;
  std::int8_t* in2Buf = inBuf + align4(inBytes);
  std::int8_t* outBuf = in2Buf + (l.op == ModelOp::Add ? align4(outBytes) : 0);
  m_nvm.read(m_layout.tensorOffset[l.input0] + static_cast<std::uint32_t>(w.first) * rowBytes, inBuf, inBytes);
  const TensorSlice inSlice{Shape{w.last - w.first, in.w, in.c}, inBuf};
  const TensorSlice outSlice{Shape{r1 - r0, out.w, out.c}, outBuf};
  if (l.op == ModelOp::Add) {
    m_nvm.read(m_layout.tensorOffset[l.input1] + static_cast<std::uint32_t>(r0) * outRowBytes, in2Buf, outBytes);
    const TensorSlice in2Slice{outSlice.shape, in2Buf};
    executeLayer(m_model, m_kernels, l, inSlice, &in2Slice, 0, outSlice);
  } else {
    executeLayer(m_model, m_kernels, l, inSlice, nullptr, w.padTop, outSlice);
  }
  nvmBytes = outBytes;
  return m_nvm.write(m_layout.tensorOffset[l.output] + static_cast<std::uint32_t>(r0) * outRowBytes, outBuf, outBytes);
}

RunStatus IntermittentRuntime::resume(JobObserver* observer) {
  if (!m_active) return RunStatus::Idle;
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
  const std::int32_t n = model.tensor(out).shape.size();
  int best = 0;
  std::int8_t bestValue = -128;
  // A few reads of 32 bytes: each NVM read pays a command's overhead.
  std::int8_t chunk[32];
  for (std::int32_t i = 0; i < n; i += static_cast<std::int32_t>(sizeof chunk)) {
    const std::int32_t count = n - i < static_cast<std::int32_t>(sizeof chunk) ? n - i : static_cast<std::int32_t>(sizeof chunk);
    nvm.read(layout.tensorOffset[out] + static_cast<std::uint32_t>(i), chunk, static_cast<std::uint32_t>(count));
    for (std::int32_t j = 0; j < count; ++j) {
      const std::int8_t v = chunk[j];
      if (i + j < maxLogits) logits[i + j] = v;
      if (i + j == 0 || v > bestValue) best = i + j, bestValue = v;
    }
  }
  return best;
}

}  // namespace aidi::fw
