// A virtual Nordic PPK2 on a pseudo-terminal, speaking the kit's binary
// protocol (ppk2_protocol.hpp): metadata with a calibration of its own,
// source and ampere modes, the regulator's voltage, DUT power, and the
// 100 kS/s sample stream paced by the wall clock, the current coming from a
// modelled load. Fault injection (unplug, garbage, dropped samples, stall)
// lets the driver be tested against what a USB device does.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "aidi/inst/ppk2_protocol.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::inst {

enum class Ppk2Fault {
  None,
  Unplug,       // the port disappears (the master side closes)
  Garbage,      // `faultBytes` random bytes slip into the stream, every `faultEvery` samples
  DropSamples,  // `faultBytes` samples are never sent, every `faultEvery` samples (the counter jumps)
  Stall,        // the stream stops for `faultStallMs`, once
};

struct Ppk2SimulatorOptions {
  double loadOhms = 1000.0;   // source mode: the DUT draws V / R while powered
  double ampereModeAmps = 1e-3;  // ampere mode: the current through the kit
  // The load, if given, instead: amps at stream time `t` (s) with the DUT at
  // `volts` and powered or not (the harvester emulation's capacitor model).
  std::function<double(double t, double volts, bool powered)> load;
  ppk2::Calibration calibration = defaultCalibration();
  Ppk2Fault fault = Ppk2Fault::None;
  std::uint64_t faultAfterSamples = 0;  // when the fault starts
  std::uint64_t faultEvery = 10000;
  std::uint32_t faultBytes = 3;
  int faultStallMs = 200;
  std::uint32_t seed = 1;

  // A calibration unlike the defaults, so that a driver ignoring it is caught.
  static ppk2::Calibration defaultCalibration();
};

class Ppk2Simulator {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Ppk2Simulator>> start(Ppk2SimulatorOptions options = {});
  ~Ppk2Simulator();
  Ppk2Simulator(const Ppk2Simulator&) = delete;
  Ppk2Simulator& operator=(const Ppk2Simulator&) = delete;

  // The pseudo-terminal to open (/dev/pts/N).
  const std::string& devicePath() const { return m_path; }

  struct State {
    ppk2::PowerMode mode = ppk2::PowerMode::Ampere;
    int sourceMillivolts = 3300;  // the kit's default
    bool dutPowered = false;
    bool streaming = false;
    std::uint64_t samplesSent = 0, samplesDropped = 0, garbageBytes = 0;
    std::uint64_t commands = 0, unknownCommands = 0;
  };
  State state() const;
  void unplug();  // now, whatever the options say

 private:
  explicit Ppk2Simulator(Ppk2SimulatorOptions options);
  void serve();
  void handle(const std::uint8_t* bytes, std::size_t n);
  void stream();
  double currentNow(double t) const;
  bool writeAll(const void* data, std::size_t n);

  Ppk2SimulatorOptions m_options;
  std::string m_path;
  int m_master = -1, m_slave = -1;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  State m_state;
  std::vector<std::uint8_t> m_input;  // a command split across reads
  std::uint8_t m_counter = 0;
  std::uint64_t m_streamStartNs = 0, m_streamSamples = 0;
  bool m_stalled = false;
  std::uint32_t m_rng;
  std::thread m_thread;
};

}  // namespace aidi::inst
