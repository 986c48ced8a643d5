// Driver for a Nordic PPK2 (ppk2_protocol.hpp) as the bench's power supply
// and meter: source-meter mode (it powers the DUT at 0.8-5 V and measures
// what it draws) or ampere-meter mode (in series with another supply). A
// PowerSupply for the bench (one channel, 1), plus its 100 kS/s stream.
//
// Safety: a voltage is checked against the bench's limits and the kit's
// 0.8-5 V before anything is sent. The kit has no programmable current
// limit; setCurrentLimit() sets one the host enforces on the stream: a
// sample window averaging above it switches the DUT off, and the stream
// reports why. On any error the driver switches the DUT off before
// reporting; so does its destructor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "aidi/inst/link.hpp"
#include "aidi/inst/power_supply.hpp"
#include "aidi/inst/ppk2_protocol.hpp"

namespace aidi::inst {

class Meter;

struct Ppk2Options {
  ppk2::PowerMode mode = ppk2::PowerMode::Source;
  Millis timeout{2000};
  bool identifyOnly = false;  // no limits needed; every setting but DUT off refused
};

class Ppk2Supply final : public PowerSupply {
 public:
  // Opens the kit at `resource` (ASRL/dev/ttyACM0::INSTR, or a simulator's
  // pseudo-terminal), stops any stream left running, reads the metadata and
  // sets the mode. The DUT stays off.
  [[nodiscard]] static Result<std::unique_ptr<Ppk2Supply>> open(const std::string& resource, const SafetyLimits& limits,
                                                                const Ppk2Options& options = {});
  // Over a link opened elsewhere (tests).
  [[nodiscard]] static Result<std::unique_ptr<Ppk2Supply>> open(std::unique_ptr<Link> link, const SafetyLimits& limits,
                                                                const Ppk2Options& options = {});
  ~Ppk2Supply() override;

  [[nodiscard]] Result<Identity> identify() override;
  [[nodiscard]] Status setVoltage(int channel, double volts) override;
  [[nodiscard]] Status setCurrentLimit(int channel, double amps) override;
  [[nodiscard]] Status setOutput(int channel, bool on) override;
  // The mean of about 10 ms of samples (the stream started and stopped
  // around it unless it runs); the voltage is the regulator's set point.
  [[nodiscard]] Result<Reading> measure(int channel) override;
  const SafetyLimits& limits() const override { return m_limits; }
  bool regulatesCurrent() const override { return false; }  // a voltage source; its "limit" is the host's trip

  const ppk2::Calibration& calibration() const { return m_calibration; }

  // The stream: start, then read() as often as wanted (each call appends
  // what has arrived, waiting up to `wait` for the first bytes), stop.
  [[nodiscard]] Status startStream();
  [[nodiscard]] Status read(std::vector<ppk2::Sample>& out, Millis wait = Millis{20});
  [[nodiscard]] Status stopStream();
  // What the stream lost: the counter's gaps, and the shortfall against the
  // clock (samples that a gap of a multiple of 64 hid).
  ppk2::StreamStats streamStats() const;
  std::uint64_t clockShortfall() const;

 private:
  Ppk2Supply(std::unique_ptr<Link> link, const SafetyLimits& limits, const Ppk2Options& options);
  Status send(std::vector<std::byte> bytes);
  Status readMetadata();
  Status checkChannel(int channel) const;
  // Best effort: the DUT off, then `error` (its message kept).
  std::unexpected<Error> failSafe(Error error);

  std::unique_ptr<Link> m_link;
  SafetyLimits m_limits;
  Ppk2Options m_options;
  ppk2::Calibration m_calibration;
  std::unique_ptr<ppk2::Decoder> m_decoder;
  std::vector<std::byte> m_buffer = std::vector<std::byte>(65536);  // the stream's reads, allocated once
  int m_millivolts = 3300;
  bool m_voltageSet = false;  // by us: the kit's own default is not checked against the limits
  double m_tripAmps = 0;  // host-enforced limit (0: none set yet)
  bool m_dutOn = false;
  bool m_streaming = false;
  std::chrono::steady_clock::time_point m_streamStart;
  std::uint64_t m_streamSamples = 0;
  std::uint64_t m_shortfall = 0;
  double m_windowSum = 0;  // the trip's running window
  int m_windowCount = 0;
};

// The kit as a meter beside the bench's supply: ampere-meter mode, the host's
// trip at the bench's current limit, the pass-through closed from start()
// until stop() (the board is powered through it). 100 kS/s of current and
// the 8 digital inputs.
[[nodiscard]] Result<std::unique_ptr<Meter>> openPpk2Meter(const std::string& resource, const SafetyLimits& limits);

}  // namespace aidi::inst
