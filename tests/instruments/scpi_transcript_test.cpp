// The SCPI driver against recorded transcripts of each supply family
// (fixtures/scpi/): a loopback server replays the instrument's side and
// fails on the first command the transcript does not expect, so each
// family's syntax and reply formats are checked line by line.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "../support/loopback_listener.hpp"
#include "aidi/inst/scpi_power_supply.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;

namespace {

struct Line {
  bool fromHost;  // '>' the driver sends, '<' the instrument answers
  std::string text;
};

std::vector<Line> loadTranscript(const std::string& name) {
  std::ifstream in(std::string(AIDI_SOURCE_DIR) + "/fixtures/scpi/" + name);
  std::vector<Line> lines;
  for (std::string l; std::getline(in, l);) {
    if (l.size() < 2 || l[0] == '#') continue;
    lines.push_back({l[0] == '>', l.substr(2)});
  }
  return lines;
}

// Plays the instrument of a transcript for one connection.
class TranscriptServer {
 public:
  explicit TranscriptServer(std::vector<Line> lines) : m_lines(std::move(lines)) {
    m_thread = std::thread([this] { serve(); });
  }
  ~TranscriptServer() {
    m_listener.close();
    if (m_thread.joinable()) m_thread.join();
  }
  std::string resource() const { return "TCPIP0::127.0.0.1::" + std::to_string(m_listener.port) + "::SOCKET"; }
  std::size_t position() const { return m_next.load(); }
  std::size_t size() const { return m_lines.size(); }
  std::string mismatch() const { return m_mismatch; }

 private:
  void serve() {
    const int client = ::accept(m_listener.fd, nullptr, nullptr);
    if (client < 0) return;
    std::string buffer;
    char chunk[256];
    while (m_next < m_lines.size()) {
      if (!m_lines[m_next].fromHost) {
        const std::string reply = m_lines[m_next++].text + "\n";
        if (::write(client, reply.data(), reply.size()) < 0) break;
        continue;
      }
      const auto eol = buffer.find('\n');
      if (eol == std::string::npos) {
        const ssize_t n = ::read(client, chunk, sizeof chunk);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      const std::string got = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      if (got != m_lines[m_next].text) {
        m_mismatch = "line " + std::to_string(m_next) + ": expected \"" + m_lines[m_next].text + "\", got \"" + got + "\"";
        break;
      }
      ++m_next;
    }
    ::close(client);
  }
  std::vector<Line> m_lines;
  aidi::test::LoopbackListener m_listener;
  std::atomic<std::size_t> m_next{0};
  std::string m_mismatch;
  std::thread m_thread;
};

class ScpiTranscript : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

}  // namespace

TEST_P(ScpiTranscript, DriverSpeaksTheFamilysDialectLineByLine) {
  const auto [file, family] = GetParam();
  TranscriptServer server(loadTranscript(file));
  ASSERT_GT(server.size(), 10u);
  auto psu = ScpiPowerSupply::open(server.resource(), {.maxVolts = 3.6, .maxAmps = 0.2});
  ASSERT_TRUE(psu) << psu.error().message << " " << server.mismatch();
  EXPECT_EQ((*psu)->identify()->family, family);
  ASSERT_TRUE((*psu)->setCurrentLimit(1, 0.1)) << server.mismatch();
  ASSERT_TRUE((*psu)->setVoltage(1, 3.3)) << server.mismatch();
  ASSERT_TRUE((*psu)->setOutput(1, true)) << server.mismatch();
  auto reading = (*psu)->measure(1);
  ASSERT_TRUE(reading) << reading.error().message << " " << server.mismatch();
  EXPECT_NEAR(reading->volts, 3.299, 1e-9);
  EXPECT_NEAR(reading->amps, 0.033, 1e-9);
  ASSERT_TRUE((*psu)->setOutput(1, false)) << server.mismatch();
  EXPECT_EQ(server.mismatch(), "");
  EXPECT_EQ(server.position(), server.size()) << "every line of the transcript was exchanged";
}

INSTANTIATE_TEST_SUITE_P(Families, ScpiTranscript,
                         ::testing::Values(std::pair{"rigol-dp832.txt", "rigol-dp800"},
                                           std::pair{"keysight-e36313a.txt", "keysight-e36300"},
                                           std::pair{"siglent-spd3303x.txt", "siglent-spd3303x"}));

// A bench file may name the family: the driver then uses it whatever *IDN? says.
TEST(ScpiTranscriptOverride, ANamedFamilyWinsOverTheIdnTable) {
  auto lines = loadTranscript("siglent-spd3303x.txt");
  lines[1].text = "ACME,PSU-1,0,1.0";  // an *IDN? no table entry matches
  TranscriptServer server(lines);
  auto unnamed = ScpiPowerSupply::open(server.resource(), {.maxVolts = 3.6, .maxAmps = 0.2});
  ASSERT_FALSE(unnamed);
  EXPECT_NE(unnamed.error().message.find("unknown instrument \"ACME,PSU-1,0,1.0\""), std::string::npos);

  TranscriptServer again(lines);
  auto named = ScpiPowerSupply::open(again.resource(), {.maxVolts = 3.6, .maxAmps = 0.2},
                                     ScpiOptions{.family = "siglent-spd3303x"});
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_TRUE((*named)->setCurrentLimit(1, 0.1)) << again.mismatch();
}
