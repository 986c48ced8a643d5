// The inference firmware of the NUCLEO-F412ZG: the model and the first
// images of the test subset in flash, progress and activations in the SPI
// FRAM, telemetry on the ST-LINK virtual COM port. A power-on or brown-out
// boot restores the progress from FRAM and continues; a reset from the bench
// (the debug probe's reset after programming: a pin or software reset)
// starts a fresh run at image 0. Finished inferences move on to the next
// image, so a bench powering the board from a harvester sees a stream of
// results across power failures. Model and policy are fixed per build.
#include <cstdint>
#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi_build_id.h"
#include "aidi/proto/messages.hpp"
#include "board.hpp"
#include "boot_counter.hpp"
#include "image_stamp.hpp"
#include "intermittent_runtime.hpp"
#include "board_profile.hpp"
#include "resident_runtime.hpp"
#include "run_messages.hpp"
#include "sensed_energy.hpp"
#include "spi_fram.hpp"

extern "C" const std::uint8_t aidi_model_start[], aidi_model_end[];
extern "C" const std::uint8_t aidi_images_start[];

// Left erased in the image; the bench's flasher writes a new value after
// programming it (OpenOCD `flash fillw`, inst::RunNonce), so each flash is a
// new run: the FRAM's progress of the run before is discarded at boot.
extern "C" __attribute__((used, aligned(4), section(".rodata.aidi_run_nonce"))) const volatile std::uint32_t aidi_run_nonce =
    0xFFFFFFFFu;  // in flash (volatile alone would put it in .data)

namespace {

using namespace aidi;

constexpr std::uint32_t kFramBytes = fw::board::kNvmBytes;  // CY15B104Q
static_assert(fw::board::kClockHz == 25e6 || fw::board::kClockHz == 100e6,
              "boards/nucleo-f412zg.toml: the clock code sets up 25 or 100 MHz");
constexpr std::uint32_t kImages = AIDI_IMAGES;
static_assert(fw::board::kTelemetryBaud > 0, "boards/nucleo-f412zg.toml: telemetry_baud sets USART3's rate");
// Job buffers: the model's peak activation SRAM (from its manifest, at build
// time) plus row halos; the linker fails the build when it does not fit.
constexpr std::uint32_t kScratchBytes = AIDI_SCRATCH_BYTES;

alignas(8) std::int8_t g_scratch[kScratchBytes];
fw::JobPlan g_plan;
fw::NvmLayout g_layout;
fw::nucleo::Usart3 g_uart;
fw::nucleo::Spi1Bus g_spi;
proto::FrameWriter g_writer(0);

template <class M>
void send(const M& message) {
  std::uint8_t wire[proto::kMaxEncodedFrame];
  g_uart.write(wire, static_cast<std::uint32_t>(g_writer.write(message, wire, sizeof wire)));
}

[[noreturn]] void fail(std::uint16_t code, std::uint32_t detail, const char* text) {
  proto::DeviceError e{};
  e.code = code;
  e.detail = detail;
  e.textLength = static_cast<std::uint8_t>(std::strlen(text) < proto::kMaxErrorText ? std::strlen(text) : proto::kMaxErrorText);
  std::memcpy(e.text, text, e.textLength);
  send(e);
  for (;;) __asm volatile("wfi");
}

struct Telemetry final : fw::JobObserver {
  std::uint32_t lastCommit = 0;
  void onCommit(const fw::Progress& p, std::uint16_t jobsInLayer, std::uint32_t nvmBytes) override {
    const std::uint32_t now = fw::nucleo::cycles();
    proto::Checkpoint c{};
    c.inference = p.inference;
    c.layer = p.layer;
    c.job = p.job;
    c.jobsInLayer = jobsInLayer;
    c.cyclesSinceBoot = now;
    c.jobCycles = now - lastCommit;
    c.nvmBytes = nvmBytes;
    lastCommit = now;
    send(c);
    fw::nucleo::feedWatchdog();
  }
};

// The board's sensing, as the virtual board's (sensed_energy.hpp): its
// cycle counter, an ADC reading of VDD (the capacitor, on the harvested
// rail) against VREFINT, and waits that poll that reading once a
// millisecond asleep. The NUCLEO has no nano-power comparator on the rail
// nor a way to shut down and wake at V_on, so it never shuts down.
struct NucleoSensor final : fw::EnergySensor {
  std::uint32_t cycleCounter() override { return fw::nucleo::cycles(); }
  std::uint32_t readCapacitorMillivolts() override { return fw::nucleo::supplyMillivolts(); }
  bool sleepUntilMillivolts(std::uint32_t wakeMillivolts, std::uint32_t floorMillivolts, float maxSeconds,
                            float& seconds) override {
    const std::uint32_t start = fw::nucleo::milliseconds();
    const auto elapsed = [&] { return static_cast<float>(fw::nucleo::milliseconds() - start) * 1e-3f; };
    for (;;) {
      const std::uint32_t mv = fw::nucleo::supplyMillivolts();
      seconds = elapsed();
      if (mv >= wakeMillivolts) return true;
      if (floorMillivolts > 0 && mv <= floorMillivolts) return false;
      if (maxSeconds > 0 && seconds >= maxSeconds) return mv >= wakeMillivolts;
      fw::nucleo::feedWatchdog();  // a long wait for energy is not a hang
      fw::nucleo::sleepOneTick();
    }
  }
};

// What the firmware knows of its storage: the capacitor it was built for
// and the board profile's powers; readings guarded by three times the ADC's
// noise plus one step.
fw::StorageFacts storageFacts(std::uint32_t clockHz) {
  fw::StorageFacts f;
  f.capacitanceF = static_cast<float>(AIDI_CAPACITOR_UF * 1e-6);
  f.vOff = static_cast<float>(fw::board::kVOff);
  f.vMax = static_cast<float>(fw::board::kVMax);
  f.vOn = static_cast<float>(fw::board::kVOn);
  f.joulesPerCycle = static_cast<float>((fw::board::kActivePowerW + fw::board::kNvmStandbyPowerW) / clockHz);
  f.guardVolts = static_cast<float>(3 * fw::board::kAdcNoiseV + fw::board::kAdcFullScaleV / (1u << fw::board::kAdcBits));
  f.sleepWatts = static_cast<float>(fw::board::kSleepPowerW + fw::board::kNvmSleepPowerW);
  f.shutdownWatts = 0;  // it cannot shut down
  return f;
}

// Runs inferences over the images in flash, forever, across power failures.
void sendHello(const fw::ModelView& model, std::uint32_t clockHz) {
  send(fw::helloMessage(fw::board::kTarget, model, static_cast<proto::Policy>(AIDI_POLICY), clockHz,
                        fw::board::kSramBytes, kFramBytes, AIDI_BUILD_HASH));
}

template <class Runtime>
[[noreturn]] void runForever(Runtime& runtime, std::uint32_t boot, proto::ResetCause cause,
                             const fw::ModelView& model, const fw::SpiFram& fram) {
  fw::RunStatus run = runtime.restore();
  // The bench resets the board to start a run: forget the progress in FRAM.
  if (cause == proto::ResetCause::Pin || cause == proto::ResetCause::Software) run = fw::RunStatus::Idle;
  send(fw::bootMessage(boot, cause, run, runtime.progress(), fw::nucleo::cycles()));

  Telemetry telemetry;
  telemetry.lastCommit = fw::nucleo::cycles();
  for (;;) {
    std::uint32_t inference = runtime.progress().inference;
    if (run == fw::RunStatus::Idle || run == fw::RunStatus::Done) {
      inference = run == fw::RunStatus::Idle ? 1 : inference + 1;
      run = runtime.start(aidi_images_start + 784 * ((inference - 1) % kImages), inference, &telemetry);
    } else {
      run = runtime.resume(&telemetry);
    }
    if (run != fw::RunStatus::Done) continue;  // a failed NVM write: the brown-out follows
    send(fw::resultMessage(runtime, model, (runtime.progress().inference - 1) % kImages, boot,
                           fram.stats().bytesWritten));
    fw::nucleo::feedWatchdog();
  }
}

}  // namespace

// A scratch word in the FRAM's reserved first 256 bytes, after the boot
// counter, for the boot-time check of the chip.
constexpr std::uint32_t kFramScratch = 248;
static_assert(fw::kBootCounterBytes <= kFramScratch, "the FRAM scratch word overlaps the boot counter");
// The harvest estimate (sensed_energy.hpp) between the two.
constexpr std::uint32_t kHarvestRecordAt = 64;
static_assert(fw::kBootCounterBytes <= kHarvestRecordAt && kHarvestRecordAt + fw::HarvestRecord::kBytes <= kFramScratch,
              "the harvest record does not fit between the boot counter and the scratch word");
// Which image the progress belongs to (image_stamp.hpp), after the harvest record.
constexpr std::uint32_t kImageStampAt = 160;
static_assert(kHarvestRecordAt + fw::HarvestRecord::kBytes <= kImageStampAt &&
                  kImageStampAt + fw::kImageStampBytes <= kFramScratch,
              "the image stamp does not fit between the harvest record and the scratch word");

int main() {
  // The BOR level sets the lowest supply the chip runs at, and so the flash
  // wait states; off (the factory setting) it is ~1.7 V.
  const float borVolts = fw::nucleo::borThreshold();
  const std::uint32_t clockHz = fw::nucleo::initClock(
      fw::board::kClockHz == 100e6 ? fw::nucleo::Clock::Mhz100 : fw::nucleo::Clock::Mhz25, borVolts > 0 ? borVolts : 1.7f);
  fw::nucleo::enableCycleCounter();
  const proto::ResetCause cause = fw::nucleo::takeResetCause();
  fw::nucleo::armVoltageDetector(static_cast<float>(fw::board::kVOff) + 0.2f);
  g_uart.begin(clockHz, fw::board::kTelemetryBaud);
  const std::uint8_t resync = proto::kDelimiter;
  g_uart.write(&resync, 1);
  // Below V_off the FRAM (2.0 V minimum) and the flash timing are outside
  // their ranges: the board must reset there, not run on to ~1.7 V.
  if (borVolts < static_cast<float>(fw::board::kVOff) - 0.05f)
    fail(19, static_cast<std::uint32_t>(borVolts * 1000), "BOR level below v_off: program the option bytes (docs/real-hardware.md)");
  // The FRAM checked at a slow clock before anything is trusted to it.
  g_spi.begin(clockHz, /*bringUp=*/true);
  fw::SpiFram fram(g_spi, kFramBytes, fw::board::kNvmCosts.wakeCycles);
  if (const auto check = fram.selfCheck(kFramScratch); check != fw::FramCheck::Ok)
    fail(20, static_cast<std::uint32_t>(check), fw::toString(check));
  g_spi.begin(clockHz);
  fw::nucleo::initSupplyAdc(clockHz);
  fw::nucleo::startWatchdog();
  fw::NvmWindow bootNvm(fram, 0, fw::kBootCounterBytes);
  fw::NvmWindow runtimeNvm(fram, 256, kFramBytes - 256);
  const std::uint32_t boot = fw::countBoot(bootNvm, 0);
  g_writer = proto::FrameWriter(static_cast<std::uint16_t>(boot));

  fw::ModelView model;
  const auto status = model.parse(aidi_model_start, static_cast<std::uint32_t>(aidi_model_end - aidi_model_start), boot == 1);
  if (status != fw::ModelStatus::Ok) fail(11, static_cast<std::uint32_t>(status), fw::toString(status));
  sendHello(model, clockHz);
  const proto::PolicyInfo* policyInfo = proto::findPolicy(std::uint32_t{AIDI_POLICY});
  if (!policyInfo) fail(17, AIDI_POLICY, "unknown policy code");
  const auto policy = policyInfo->policy;
  // The FRAM outlives reflashing: progress another image left is discarded.
  fw::NvmWindow stampNvm(fram, kImageStampAt, fw::kImageStampBytes);
  fw::claimProgress(stampNvm, 0, runtimeNvm,
                    {fw::buildIdOf(AIDI_BUILD_HASH), model.storedCrc(), static_cast<std::uint32_t>(policy), aidi_run_nonce});
  fw::cm4::useConstantWeights(true);  // the model is in flash: every engine may keep expanded weights
  // The energy of one power cycle, for the aidi policy's job sizes: the
  // storage capacitor between V_on and V_off at the active power.
  const double joules = 0.5 * AIDI_CAPACITOR_UF * 1e-6 *
                        (fw::board::kVOn * fw::board::kVOn - fw::board::kVOff * fw::board::kVOff) *
                        fw::board::kEfficiency;
  const auto cyclesPerPowerCycle = static_cast<std::uint64_t>(joules / fw::board::kActivePowerW * clockHz);
  if (!fw::planNvm(model, runtimeNvm.size(), g_layout, policyInfo->progress)) fail(14, g_layout.bytes, "model tensors exceed the FRAM");
  if (policyInfo->engine == proto::PolicyEngine::Resident) {
    fw::ArenaPlan arena;
    if (!fw::planArena(model, arena) || arena.bytes > kScratchBytes) fail(12, arena.bytes, "arena too small");
    NucleoSensor sensor;
    fw::NvmWindow harvestNvm(fram, kHarvestRecordAt, fw::HarvestRecord::kBytes);
    fw::HarvestRecord harvestMemory(harvestNvm, 0, fw::kHarvestRecordMagic);
    fw::SensedEnergyMonitor monitor(sensor, storageFacts(clockHz), &harvestMemory);
    fw::ResidentRuntime runtime(model, fw::cm4Kernels(), arena, g_layout, runtimeNvm, fw::board::kNvmCosts, g_scratch,
                                monitor);
    if (!policyInfo->adapts) runtime.setFixedBandRows(fw::kFixedTileRows);
    if (!runtime.supported()) fail(16, 0, "a tensor has more rows than the resident engine tracks");
    runForever(runtime, boot, cause, model, fram);
  }
  // (inas: the search runs at build-time figures, the capacitor this image was built for)
  if (!fw::planJobs(model, policy, cyclesPerPowerCycle, fw::board::kNvmCosts, g_plan, kScratchBytes))
    fail(13, model.layerCount(), "too many layers");
  fw::IntermittentRuntime runtime(model, fw::cm4Kernels(), g_plan, g_layout, runtimeNvm, g_scratch, kScratchBytes,
                                  fw::jobEngineOptions(*policyInfo, fw::board::kNvmCosts));
  if (!runtime.scratchFits())
    fail(15, fw::scratchBytesNeeded(model, g_plan, policyInfo->progress), "job buffers exceed the SRAM scratch");
  runForever(runtime, boot, cause, model, fram);
}
