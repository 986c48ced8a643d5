// The inference firmware of the virtual board: one inference of the model and
// image that the bench loaded (run_config.hpp), under the power the power
// shim grants, with the intermittent runtime keeping progress in NVM.
// Telemetry on UART0: boot, checkpoint and result frames (protocol/SPEC.md).
#include <cstdint>
#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/messages.hpp"
#include "aidi_build_id.h"
#include "bench_markers.hpp"
#include "board_profile.hpp"
#include "boot_counter.hpp"
#include "activity_marks.hpp"
#include "costed_nvm.hpp"
#include "intermittent_runtime.hpp"
#include "power_shim.hpp"
#include "resident_runtime.hpp"
#include "run_messages.hpp"
#include "run_config.hpp"
#include "sensed_energy.hpp"
#include "telemetry_uart.hpp"


namespace {

using namespace aidi;

constexpr std::uint32_t kNvmBytes = 480 * 1024;
constexpr std::uint32_t kNvmScratchBytes = 4;  // the boot's read-back check, at the NVM's end
// (bench-app/core/src/simulation.cpp: kDeviceScratchBytes, for the iNAS search, is the same.)
constexpr std::uint32_t kScratchBytes = 160 * 1024;

__attribute__((section(".nvm"))) std::uint8_t g_bootRecord[fw::kBootCounterBytes];
__attribute__((section(".nvm"))) std::uint8_t g_harvestRecord[fw::HarvestRecord::kBytes];
__attribute__((section(".nvm"))) std::uint8_t g_nvm[kNvmBytes];
// Activations and job buffers: everything in it is written before it is
// read, so it stays out of the start-up's zeroing (SRAM after a power loss
// holds garbage; zeroing 160 KB would cost ~40k instructions every boot).
__attribute__((section(".noinit"))) alignas(8) std::int8_t g_scratch[kScratchBytes];
fw::JobPlan g_plan;
fw::NvmLayout g_layout;
fw::mps2::TelemetryUart g_telemetry;

}  // namespace

// Marker calls around every telemetry frame the runtime sends: the bench's
// counting plugin sums the window, so the cost of being observed is reported
// apart from the runtime's own. The budget holds meanwhile (power_shim.hpp).
// The build hash, where the bench reads it from the ELF (the intermittent
// run sends no Hello): it records which firmware produced each result.
extern "C" __attribute__((used)) const char aidi_build_hash[] = AIDI_BUILD_HASH;

extern "C" __attribute__((noinline, used)) void aidi_telemetry_begin() { __asm volatile("" ::: "memory"); }
extern "C" __attribute__((noinline, used)) void aidi_telemetry_end() { __asm volatile("" ::: "memory"); }

namespace {

template <class M>
void sendObserved(const M& message) {
  aidi_telemetry_begin();
  const std::uint32_t held = fw::mps2::powerShimHoldBudget();
  g_telemetry.send(message);
  fw::mps2::powerShimResumeBudget(held);
  aidi_telemetry_end();
}

[[noreturn]] void fail(std::uint16_t code, std::uint32_t detail, const char* text) {
  g_telemetry.sendError(code, detail, text);
  fw::mps2::powerShimDone();
}

struct Telemetry final : fw::JobObserver {
  void onCommit(const fw::Progress& p, std::uint16_t jobsInLayer, std::uint32_t nvmBytes) override {
    fw::mps2::markCommit();
    proto::Checkpoint c{};
    c.inference = p.inference;
    c.layer = p.layer;
    c.job = p.job;
    c.jobsInLayer = jobsInLayer;
    c.cyclesSinceBoot = fw::mps2::powerShimCyclesSinceBoot();
    c.nvmBytes = nvmBytes;
    sendObserved(c);
  }
  void onWork(std::uint16_t layer) override { fw::mps2::markLayer(layer); }
};

// What the virtual board senses: its cycle counter, an ADC on the capacitor
// and a comparator to wake on, through the power shim.
struct ShimSensor final : fw::EnergySensor {
  const fw::mps2::RunConfig& config;
  const fw::mps2::CostedNvm& nvm;
  // The transfer's extra weight, 16.16 fixed point (the M4 has no double FPU).
  const std::uint64_t extraQ16;
  ShimSensor(const fw::mps2::RunConfig& c, const fw::mps2::CostedNvm& n)
      : config(c), nvm(n), extraQ16(c.nvmTransferWeight > 1.0f ? static_cast<std::uint64_t>((c.nvmTransferWeight - 1.0f) * 65536.0f) : 0) {}
  // Cycles in energy: the timer's, each NVM transfer cycle weighted as
  // the datasheet says it draws (wrapping at 2^32 like the timer).
  std::uint32_t cycleCounter() override {
    return fw::mps2::powerShimCyclesSinceBoot() + static_cast<std::uint32_t>((nvm.transferCycles() * extraQ16) >> 16);
  }
  std::uint32_t readCapacitorMillivolts() override {
    const std::uint32_t code = fw::mps2::powerShimReadAdc();
    const std::uint32_t fullCode = (1u << config.adcBits) - 1u;
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(code) * config.adcFullScaleMillivolts + fullCode / 2) / fullCode);
  }
  bool sleepUntilMillivolts(std::uint32_t wake, std::uint32_t floor, float maxSeconds, float& seconds) override {
    const float alarm = maxSeconds * fw::kRtcHz;
    fw::mps2::powerShimSleep(wake, floor, alarm >= 4.29e9f ? 0xFFFFFFFFu : static_cast<std::uint32_t>(alarm));
    seconds = static_cast<float>(fw::mps2::powerShimLastSleepRtcTicks()) / fw::kRtcHz;
    return true;  // a floor reached shows in the next reading
  }
  bool shutDown() override { fw::mps2::powerShimShutDown(); }
  bool rtcTicks(std::uint32_t& ticks) override {
    ticks = fw::mps2::powerShimRtc();
    return true;
  }
};

// The study's comparison only (RunConfig::Sensing::Oracle): the energy left
// as the bench's Timer0 counts it down to the brown-out, which includes the
// harvest still to come. No board can sense this.
struct OracleEnergyMonitor final : fw::EnergyMonitor {
  fw::StorageFacts facts;
  explicit OracleEnergyMonitor(const fw::StorageFacts& f) : facts(f) {}
  std::uint32_t cyclesLeft() override {
    const std::uint32_t ticks = fw::mps2::powerShimTicksLeft();
    return ticks > 0xFFFFFFFFu / 40u ? 0xFFFFFFFFu : ticks * 40u;
  }
  std::uint32_t cyclesNow() override { return fw::mps2::powerShimCyclesSinceBoot(); }
  bool sleepUntil(std::uint32_t cycles, std::uint32_t floor) override {
    fw::mps2::powerShimSleep(fw::millivoltsFor(facts, cycles), floor == 0 ? 0 : fw::millivoltsFor(facts, floor), 0);
    return true;
  }
};

template <class Runtime>
[[noreturn]] void runToTheEnd(Runtime& runtime, std::uint32_t boot, const fw::mps2::RunConfig& config,
                              const fw::ModelView& model, const fw::mps2::CostedNvm& nvm) {
  fw::RunStatus run = runtime.restore();
  sendObserved(fw::bootMessage(boot, proto::ResetCause::PowerOn, run, runtime.progress(),
                                   fw::mps2::powerShimCyclesSinceBoot()));
  Telemetry telemetry;
  if (config.continuous == 0) {
    if (run == fw::RunStatus::Idle) run = runtime.start(config.image, 1, &telemetry);
    else if (run != fw::RunStatus::Done) run = runtime.resume(&telemetry);
    sendObserved(fw::resultMessage(runtime, model, config.sample, boot, nvm.stats().bytesWritten));
    fw::mps2::powerShimDone();
  }
  // Continuous operation: an inference per request, the device's state (NVM,
  // capacitor, the request in progress) carried from one to the next. A
  // request interrupted by brown-outs is finished first; then the device
  // asks the bench for the next one (sleeping until it arrives).
  if (run != fw::RunStatus::Idle && run != fw::RunStatus::Done) {
    run = runtime.resume(&telemetry);
    sendObserved(fw::resultMessage(runtime, model, runtime.progress().inference, boot, nvm.stats().bytesWritten));
  }
  std::uint32_t done = run == fw::RunStatus::Done ? runtime.progress().inference : 0;
  for (;;) {
    const std::uint32_t request = fw::mps2::powerShimNextRequest(done);
    if (request == fw::mps2::kNoMoreRequests) fw::mps2::powerShimDone();
    runtime.start(config.image, request, &telemetry);
    sendObserved(fw::resultMessage(runtime, model, request, boot, nvm.stats().bytesWritten));
    done = request;
  }
}

}  // namespace

int main() {
  // The power cycle's budget was armed at reset (aidi_reset_hook).
  g_telemetry.begin();
  fw::MemoryNvm bootNvm(g_bootRecord, sizeof g_bootRecord);
  const std::uint32_t boot = fw::countBoot(bootNvm, 0);
  g_telemetry.setBootId(static_cast<std::uint16_t>(boot));

  const auto* config = reinterpret_cast<const fw::mps2::RunConfig*>(fw::mps2::kRunConfigAddress);
  if (std::memcmp(config->magic, fw::mps2::kRunConfigMagic, 8) != 0) fail(10, 0, "no run configuration loaded");
  // The model's CRC is checked by the plain run, which the bench runs first on
  // the same bytes (aidi sim, campaigns); the intermittent run checks its
  // structure at every boot, so integrity checking is not counted as
  // intermittent overhead.
  fw::ModelView model;
  const auto status =
      model.parse(reinterpret_cast<const std::uint8_t*>(fw::mps2::kModelAddress), config->modelBytes,
                  config->mode == fw::mps2::RunMode::Plain);
  if (status != fw::ModelStatus::Ok) fail(11, static_cast<std::uint32_t>(status), fw::toString(status));

  const proto::PolicyInfo* policyInfo = proto::findPolicy(config->policy);
  if (!policyInfo) fail(17, config->policy, "unknown policy code");
  const auto policy = policyInfo->policy;
  // The bench loads the model image once, before power-on, and nothing
  // writes it: every engine (and the plain run) may keep a layer's expanded
  // weights across its jobs, so no policy is credited for weight caching.
  fw::cm4::useConstantWeights(true);

  if (config->mode == fw::mps2::RunMode::Plain) {
    fw::ArenaPlan arena;
    if (!fw::planArena(model, arena) || arena.bytes > kScratchBytes) fail(12, arena.bytes, "arena too small");
    // The plain run identifies the board before the bench runs the
    // intermittent one: outside the benchmark window, so it costs nothing.
    g_telemetry.send(fw::helloMessage(fw::board::kTarget, model, policy, config->clockHz,
                                      fw::board::kSramBytes, kNvmBytes, aidi_build_hash));
    proto::InferenceResult r{};
    aidi_bench_start();
    r.predicted = static_cast<std::uint8_t>(
        fw::runPlainInference(model, arena, fw::cm4Kernels(), config->image, g_scratch, r.logits, proto::kMaxLogits));
    aidi_bench_stop();
    r.sample = config->sample;
    r.logitCount = static_cast<std::uint8_t>(model.tensor(model.outputTensor()).shape.size());
    r.logitsCrc = proto::Crc32c::calculate(r.logits, r.logitCount);
    g_telemetry.send(r);
    fw::mps2::powerShimDone();
  }

  const fw::NvmCosts nvmCosts{config->nvmCyclesPerByte, config->nvmWriteOverheadCycles,
                              config->nvmReadOverheadCycles, config->nvmWakeCycles};
  fw::mps2::CostedNvm nvm(g_nvm, kNvmBytes, nvmCosts, config->nvmFault != 0);
  // As the real board checks its FRAM at every boot (SpiFram::selfCheck),
  // at the same cost: a scratch word past the runtime's region reads back.
  if (!fw::readsBack(nvm, kNvmBytes - kNvmScratchBytes))
    fail(20, 0, "NVM not responding: a scratch word did not read back");
  if (!fw::planNvm(model, kNvmBytes - kNvmScratchBytes, g_layout, policyInfo->progress)) fail(14, g_layout.bytes, "model tensors exceed the NVM");
  if (policyInfo->engine == proto::PolicyEngine::Resident) {
    // Activations resident in SRAM, checkpointed just before the energy runs out.
    fw::ArenaPlan arena;
    if (!fw::planArena(model, arena) || arena.bytes > kScratchBytes) fail(12, arena.bytes, "arena too small");
    const fw::StorageFacts facts{config->capacitanceF, config->vOff,       config->vMax,
                                 config->joulesPerCycle, config->guardVolts, config->vOn,
                                 config->sleepWatts,     config->shutdownWatts};
    ShimSensor sensor(*config, nvm);
    fw::mps2::CostedNvm harvestNvm(g_harvestRecord, sizeof g_harvestRecord, nvmCosts);
    fw::HarvestRecord harvestMemory(harvestNvm, 0, fw::kHarvestRecordMagic);
    fw::SensedEnergyMonitor sensed(sensor, facts, &harvestMemory);
    fw::StorageFacts exact = facts;
    exact.guardVolts = 0;
    OracleEnergyMonitor oracle(exact);
    fw::EnergyMonitor& monitor =
        config->sensing == fw::mps2::Sensing::Oracle ? static_cast<fw::EnergyMonitor&>(oracle) : sensed;
    fw::ResidentRuntime runtime(model, fw::cm4Kernels(), arena, g_layout, nvm, nvmCosts, g_scratch, monitor);
    if (!policyInfo->adapts) runtime.setFixedBandRows(fw::kFixedTileRows);
    runtime.setMoreWorkFollows(config->continuous != 0);
    if (!runtime.supported()) fail(16, 0, "a tensor has more rows than the resident engine tracks");
    runToTheEnd(runtime, boot, *config, model, nvm);
  }
  if (policy == fw::SchedulerPolicy::Inas) {
    // iNAS runs the plan its search chose offline, as the bench recorded it.
    if (model.layerCount() > fw::kMaxLayers) fail(13, model.layerCount(), "too many layers");
    for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
      const auto rows = static_cast<std::uint16_t>(model.tensor(model.layer(i).output).shape.h);
      const std::uint16_t per = config->planRows[i];
      if (per == 0 || per > rows) fail(18, i, "no iNAS plan for this layer in the run configuration");
      g_plan.rowsPerJob[i] = per;
      g_plan.jobs[i] = static_cast<std::uint16_t>((rows + per - 1) / per);
    }
  } else if (!fw::planJobs(model, policy, config->cyclesPerPowerCycle, nvmCosts, g_plan)) {
    fail(13, model.layerCount(), "too many layers");
  }
  fw::IntermittentRuntime runtime(model, fw::cm4Kernels(), g_plan, g_layout, nvm, g_scratch, kScratchBytes,
                                  fw::jobEngineOptions(*policyInfo, nvmCosts));
  if (!runtime.scratchFits())
    fail(15, fw::scratchBytesNeeded(model, g_plan, policyInfo->progress), "job buffers exceed the SRAM scratch");
  runToTheEnd(runtime, boot, *config, model, nvm);
}
