// A virtual Qoitech Otii Arc behind an Otii automation server on loopback
// TCP: JSON requests and responses, one per line (CR LF), each response
// carrying its request's trans_id; an "information" message on connect with
// the server's version. One Arc: main output voltage, current limit, on/off,
// the main current (mc) and voltage (mv) channels at 4 kS/s into a
// recording while one runs, the load a resistor. Faults (a dropped
// connection, a garbled reply, no reply, an old server) let the driver be
// tested against what a real server does. Written from the request names
// Qoitech's public clients send.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "aidi/inst/result.hpp"
#include "aidi/inst/simulated_capacitor.hpp"

namespace aidi::inst {

enum class OtiiFault { None, DropConnection, GarbleReply, NoReply };

struct OtiiSimulatorOptions {
  std::uint16_t port = 0;        // 0: any free loopback port
  double loadOhms = 1000.0;
  std::string version = "3.5.5";  // the server's, in the connect message
  double sampleRateHz = 4000;     // mc and mv
  // The main output into a storage capacitor with the load (or a board)
  // across it, as the SCPI simulator's channel 1 (simulated_capacitor.hpp).
  double capacitorF = 0, capacitorVolts = 0;
  double boardOnVolts = 0, boardOffVolts = 0;
  OtiiFault fault = OtiiFault::None;
  int faultAfterRequests = 0;     // from this request on (counting from 1)
};

class OtiiSimulator {
 public:
  [[nodiscard]] static Result<std::unique_ptr<OtiiSimulator>> start(OtiiSimulatorOptions options = {});
  ~OtiiSimulator();
  OtiiSimulator(const OtiiSimulator&) = delete;
  OtiiSimulator& operator=(const OtiiSimulator&) = delete;

  std::uint16_t port() const { return m_port; }
  static constexpr const char* kDeviceId = "ARC-0042";

  struct State {
    double mainVolts = 3.3, maxAmps = 0.5;
    bool mainOn = false, recording = false;
    bool sourceCurrentLimit = false;  // off: above max current the output trips off (the Arc's default)
    std::size_t trips = 0;
    std::size_t requests = 0;
  };
  State state() const;
  // The capacitor (capacitorF > 0), brought up to now.
  SimulatedCapacitor::State capacitor();

  // One request line; the response line (without its terminator). Public
  // so the message handling can be unit-tested.
  std::string handle(const std::string& line);

 private:
  explicit OtiiSimulator(OtiiSimulatorOptions options);
  void advanceCapacitor();  // m_mutex held: the capacitor up to now, tripping the output as the Arc would
  void serve();
  void serveClient(int fd);
  nlohmann::json respond(const nlohmann::json& request);
  std::size_t samplesSoFar() const;  // m_mutex held

  OtiiSimulatorOptions m_options;
  int m_listenFd = -1;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  State m_state;
  int m_projectId = -1, m_recordingId = 0;
  std::chrono::steady_clock::time_point m_recordingStart{};
  std::size_t m_recordedBefore = 0;  // samples of the recording when it stopped
  double m_recordedAmps = 0, m_recordedVolts = 0;
  std::optional<SimulatedCapacitor> m_capacitor;
  std::thread m_thread;
};

}  // namespace aidi::inst
