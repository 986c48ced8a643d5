// A virtual programmable power supply speaking SCPI over TCP on loopback,
// behaving as a Rigol DP832 (three channels: 30 V/3 A, 30 V/3 A, 5 V/3 A):
// the DP800 command tree with short and long forms, per-channel limits,
// SYST:ERR? error queue, a resistive load on each output so measurements
// follow Ohm's law and constant-current limiting. Fault injection (dropped
// connection, garbled reply, no reply) lets drivers be tested against the
// failures real instruments show.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aidi/inst/result.hpp"
#include "aidi/inst/simulated_capacitor.hpp"

namespace aidi::inst {

enum class ScpiFault {
  None,
  DropConnection,  // close the socket instead of answering
  GarbleReply,     // answer with bytes that are not a valid reply
  Hang,            // read the command, never answer
};

struct ScpiPsuSimulatorOptions {
  std::uint16_t port = 0;  // 0: any free loopback port
  double loadOhms = 100.0; // resistive load on every output
  // Channel 1 into a storage capacitor of this many farads with the load
  // across it (0: none), integrated in real time: in constant current below
  // the set voltage, the capacitor charges at the current limit less the
  // load; at the set voltage, the supply holds it. The harvester's
  // current-source mode is checked against this capacitor's ground truth.
  double capacitorF = 0;
  double capacitorVolts = 0;  // its voltage at the start
  // A board on the capacitor instead of a plain resistor (both > 0): the
  // load draws only while the board is on, from the capacitor reaching
  // `boardOnVolts` until it falls below `boardOffVolts` (its brown-out).
  double boardOnVolts = 0, boardOffVolts = 0;
  // Inject `fault` from the `faultAfterCommands`-th command on (counting from 1).
  ScpiFault fault = ScpiFault::None;
  int faultAfterCommands = 0;
  int faultTimes = 0;  // commands the fault applies to (0: all from then on)
};

class ScpiPsuSimulator {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ScpiPsuSimulator>> start(ScpiPsuSimulatorOptions options = {});
  ~ScpiPsuSimulator();  // stops the server thread and closes every connection
  ScpiPsuSimulator(const ScpiPsuSimulator&) = delete;
  ScpiPsuSimulator& operator=(const ScpiPsuSimulator&) = delete;

  std::uint16_t port() const { return m_port; }
  static constexpr const char* kIdentity = "RIGOL TECHNOLOGIES,DP832,DP8C000000001,00.01.16";

  // One command line (commands separated by ';'); returns the reply lines it
  // produces, without terminators. Public so the dialect can be unit-tested.
  std::vector<std::string> handle(const std::string& line);

  struct Channel {
    double maxVolts, maxAmps;
    double volts = 0, amps = 0;  // set points
    bool output = false;
    double ovp, ocp;
    bool ovpOn = false, ocpOn = false;
  };
  Channel channel(int index) const;  // 1-based
  std::size_t commandsReceived() const { return m_commands.load(); }
  // Channel 1's capacitor (capacitorF > 0), brought up to now: its voltage,
  // and the energy the supply has delivered into it and its load.
  using Capacitor = SimulatedCapacitor::State;
  Capacitor capacitor();

 private:
  explicit ScpiPsuSimulator(ScpiPsuSimulatorOptions options);
  void serve();
  void serveClient(int fd);
  void pushError(int code, const std::string& message);
  std::string execute(const std::string& command, bool& isQuery);

  ScpiPsuSimulatorOptions m_options;
  int m_listenFd = -1;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<std::size_t> m_commands{0};
  std::thread m_thread;
  mutable std::mutex m_mutex;
  std::vector<Channel> m_channels;
  int m_selected = 1;
  std::deque<std::pair<int, std::string>> m_errors;
  std::optional<SimulatedCapacitor> m_capacitor;  // on channel 1 (capacitorF > 0)
};

}  // namespace aidi::inst
