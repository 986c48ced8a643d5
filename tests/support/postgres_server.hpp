// A real PostgreSQL server for one test: a fresh cluster in a temporary
// folder (initdb), password authentication over TCP on 127.0.0.1 and a free
// port, started and stopped by the test itself (postgres as a child). As
// root (CI) the server runs as the `postgres` user (setpriv, no shell), as
// PostgreSQL refuses root. Durability is off: a test's data need not survive
// a power cut.
#pragma once

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "loopback_listener.hpp"

namespace aidi::test {

class PostgresServer {
 public:
  static constexpr const char* kUser = "aidi";
  static constexpr const char* kPassword = "lab-secret-1";

  // Null, with `why`, when PostgreSQL is not installed or does not start.
  static std::unique_ptr<PostgresServer> start(std::string& why) {
    std::optional<std::filesystem::path> bin;
    std::error_code ec;
    for (const auto& version : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
      if (std::filesystem::exists(version.path() / "bin/initdb")) bin = version.path() / "bin";
    if (!bin) {
      why = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)";
      return nullptr;
    }
    auto dir = inst::TempDir::create("aidi-pg-");
    if (!dir) {
      why = dir.error().message;
      return nullptr;
    }
    std::unique_ptr<PostgresServer> server(new PostgresServer(std::move(*dir), *bin));
    PostgresServer& s = *server;
    const auto data = s.m_dir.path() / "data";
    std::ofstream(s.m_dir.path() / "pw") << kPassword << "\n";
    if (::geteuid() == 0) {
      const passwd* pg = ::getpwnam("postgres");
      if (!pg) {
        why = "running as root and there is no postgres user to run the server as";
        return nullptr;
      }
      s.m_asUser = {"setpriv", "--reuid=" + std::to_string(pg->pw_uid), "--regid=" + std::to_string(pg->pw_gid),
                    "--clear-groups", "--"};
      for (const auto& p : std::filesystem::recursive_directory_iterator(s.m_dir.path()))
        (void)::chown(p.path().c_str(), pg->pw_uid, pg->pw_gid);
      (void)::chown(s.m_dir.path().c_str(), pg->pw_uid, pg->pw_gid);
    }
    auto init = s.run({(*bin / "initdb").string(), "-D", data.string(), "-U", kUser, "--auth=scram-sha-256",
                       "--pwfile=" + (s.m_dir.path() / "pw").string(), "-E", "UTF8", "--no-sync", "--no-instructions"});
    if (!init.empty()) {
      why = "initdb failed: " + init;
      return nullptr;
    }
    s.m_port = freeLoopbackPort();
    if (auto started = s.startServer(); !started.empty()) {
      why = started;
      return nullptr;
    }
    return server;
  }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer() { stop(); }

  std::uint16_t port() const { return m_port; }
  // The lab URL (no password: the password travels in PGPASSWORD).
  std::string url(const std::string& database = "postgres") const {
    return "postgresql://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(m_port) + "/" + database;
  }

  // Fast shutdown: clients are disconnected, the data stays.
  void stop() {
    if (!m_server) return;
    if (m_server->pid() > 0) ::kill(m_server->pid(), SIGINT);
    if (!m_server->wait(inst::Millis{20000})) m_server->terminate();
    m_server.reset();
  }
  // Again on the same port and data.
  std::string restart() { return startServer(); }

 private:
  PostgresServer(inst::TempDir dir, std::filesystem::path bin) : m_dir(std::move(dir)), m_bin(std::move(bin)) {}


  // Runs a program to its end; empty when it succeeded, else its output.
  std::string run(std::vector<std::string> argv) {
    argv.insert(argv.begin(), m_asUser.begin(), m_asUser.end());
    auto child = inst::Subprocess::spawn(argv);
    if (!child) return child.error().message;
    auto code = child->wait(inst::Millis{120000});
    if (!code || *code != 0) return child->output();
    return {};
  }

  std::string startServer() {
    std::vector<std::string> argv = m_asUser;
    for (const std::string& a : {(m_bin / "postgres").string(), std::string("-D"), (m_dir.path() / "data").string(),
                                 std::string("-p"), std::to_string(m_port), std::string("-k"), m_dir.path().string(),
                                 std::string("-c"), std::string("listen_addresses=127.0.0.1"), std::string("-c"),
                                 std::string("fsync=off"), std::string("-c"), std::string("synchronous_commit=off"),
                                 std::string("-c"), std::string("full_page_writes=off"), std::string("-c"),
                                 std::string("max_connections=100")})
      argv.push_back(a);
    auto child = inst::Subprocess::spawn(argv);
    if (!child) return "cannot start postgres: " + child.error().message;
    m_server.emplace(std::move(*child));
    const std::string info = "host=127.0.0.1 port=" + std::to_string(m_port) + " user=" + kUser + " dbname=postgres";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(info.c_str()) == PQPING_OK) return {};
      if (m_server->exitCode()) return "postgres ended at start: " + m_server->output();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "postgres did not accept connections within 60 s: " + m_server->output();
  }

  inst::TempDir m_dir;
  std::filesystem::path m_bin;
  std::vector<std::string> m_asUser;
  std::uint16_t m_port = 0;
  std::optional<inst::Subprocess> m_server;
};

}  // namespace aidi::test
