// libFuzzer target for `aidi serve`'s request parser: arbitrary bytes, cut
// into lines, answered as requests of a few connections (the first byte
// picks which). The server's model zoo does not exist, so every campaign,
// run and harvest names an unknown model and nothing ever starts; the
// database is a scratch one, so queries and exports run for real.
//
// Properties checked on every line:
//  - no crash, leak or undefined behaviour (ASan/UBSan), whatever the bytes;
//  - every reply is one JSON object with a boolean "ok";
//  - a refusal has an error with a text code and a text message;
//  - a request that is a JSON object with an id gets that id back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "aidi/core/api_server.hpp"

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const char* why, const std::string& line, const std::string& reply) {
  __builtin_printf("property violated: %s\nrequest: %s\nreply: %s\n", why, line.c_str(), reply.c_str());
  std::abort();
}

aidi::core::ApiServer& server() {
  static std::unique_ptr<aidi::core::ApiServer> s = [] {
    static char scratch[] = "/tmp/aidi-api-fuzz-XXXXXX";
    if (!::mkdtemp(scratch)) std::abort();
    std::atexit([] { std::filesystem::remove_all(scratch); });
    aidi::core::ApiServerOptions o;
    o.database = std::filesystem::path(scratch) / "runs.sqlite";
    o.modelZoo = "/nonexistent-aidi-fuzz/models";
    o.maxRequestsPerSecond = 1 << 30;
    auto started = aidi::core::ApiServer::start(o);
    if (!started) std::abort();
    return std::move(*started);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int connection = data[0] % 4;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto eol = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, eol - at);
    at = eol + 1;
    const std::string reply = server().answer(connection, line);
    const json r = json::parse(reply, nullptr, false);
    if (r.is_discarded() || !r.is_object()) fail("the reply is not a JSON object", line, reply);
    if (!r.contains("ok") || !r["ok"].is_boolean()) fail("the reply has no boolean ok", line, reply);
    if (!r["ok"].get<bool>()) {
      const json& e = r.value("error", json());
      if (!e.is_object() || !e.contains("code") || !e["code"].is_string() || !e.contains("message") ||
          !e["message"].is_string())
        fail("a refusal without a text code and message", line, reply);
    }
    const json request = json::parse(line, nullptr, false);
    if (request.is_object() && request.contains("id") && (!r.contains("id") || r["id"] != request["id"]))
      fail("the request's id did not come back", line, reply);
  }
  return 0;
}
