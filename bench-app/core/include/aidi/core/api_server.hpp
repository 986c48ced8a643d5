// `aidi serve`: the bench as a long-running server for scripts and CI
// (docs/api.md). Newline-delimited JSON over TCP: each request carries an
// id its response repeats; the server also sends unsolicited messages typed
// `progress` (a campaign's events, to subscribers), `waveform` (its
// waveforms as recorded, to those who asked) and `event` (a subscriber
// dropped for being slow, a campaign ended). One connection at a
// time holds the bench's lock, and only it may change anything; the lock
// dies with its connection. Everyone may watch and query.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "aidi/inst/result.hpp"

namespace aidi::core {

// The API's version: a client of another major version is refused.
inline constexpr int kApiMajor = 1, kApiMinor = 0;

struct ApiServerOptions {
  std::string host = "127.0.0.1";  // anything else needs a token
  std::uint16_t port = 0;          // 0: any free port (port() says which)
  std::string token;               // required of every client when not empty
  std::filesystem::path database;  // the run database campaigns record into
  std::string lab;                 // or a lab's URL (docs/lab.md): campaigns go to its workers
  std::filesystem::path modelZoo, subset;
  std::filesystem::path benchFile;  // a real bench's file (bench_file.hpp); empty: the virtual bench
  std::size_t maxRequestBytes = 1u << 20;   // a longer line ends the connection
  int maxRequestsPerSecond = 500;           // beyond: an error reply per request
  std::size_t maxQueuedMessages = 1000;     // a subscriber further behind is dropped from the stream
  std::size_t maxQueuedBytes = 16u << 20;   // ... or with this much waiting (shared by all: the bound on memory)
  std::size_t maxExportBytes = 256u << 20;  // a larger export is refused (aidi db export on the server)
};

class ApiServer {
 public:
  // Listens; refuses a non-loopback host without a token.
  [[nodiscard]] static inst::Result<std::unique_ptr<ApiServer>> start(const ApiServerOptions& options);
  ~ApiServer();  // stops: closes every connection, stops a running campaign
  std::uint16_t port() const;
  // Serves until stop() or an interrupt (Ctrl-C).
  void wait();
  void stop();
  // One request line answered as if connection `connection` (a number of
  // the caller's choosing, not a socket) had sent it: the reply line. For
  // the parser's fuzzer and tests; streamed messages are not kept.
  std::string answer(int connection, const std::string& line);

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace aidi::core
