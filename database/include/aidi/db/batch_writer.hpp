// The one writer of a run database: a thread that owns its own connection,
// takes rows from a bounded queue and commits them in batches (by count and
// by time). A full queue blocks the producer (back-pressure), never grows.
//
// A killed process loses at most the batch in flight; a committed batch is on
// disk (WAL, synchronous=FULL). The first SQLite error (a full disk, say)
// stops the writer: what was committed stays, and push()/flush() return the
// error from then on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "aidi/db/result.hpp"
#include "aidi/db/rows.hpp"

namespace aidi::db {

struct WriterOptions {
  // Rows waiting; push() blocks beyond. Memory holds at most twice this many
  // rows: the queue and the batch being committed.
  std::size_t queueCapacity = 1 << 16;
  std::size_t batchRows = 20000;             // commit once this many rows wait ...
  std::chrono::milliseconds batchInterval{100};  // ... or this long after the first
  // Called on the writer thread after each commit with the total rows committed.
  std::function<void(std::uint64_t committedRows)> onCommit;
  // Test hook: limit the database's size in pages (simulates a full disk).
  std::optional<std::int64_t> maxPageCount;
};

class BatchWriter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<BatchWriter>> start(const std::filesystem::path& path,
                                                                  WriterOptions options = {});
  ~BatchWriter();  // close(), ignoring its result
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues one row; blocks while the queue is full, up to `timeout` (Busy).
  [[nodiscard]] Status push(Row row, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits until every row pushed before the call is committed.
  [[nodiscard]] Status flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Commits what is queued and stops the thread. Idempotent.
  [[nodiscard]] Status close();

  std::uint64_t committedRows() const { return m_committed.load(); }
  std::uint64_t commits() const { return m_commits.load(); }

 private:
  class Impl;
  explicit BatchWriter(std::unique_ptr<Impl> impl);
  void loop();

  std::unique_ptr<Impl> m_impl;
  std::mutex m_mutex;
  std::condition_variable m_notEmpty, m_notFull, m_committedCv;
  std::vector<Row> m_queue;  // swapped out whole by the writer thread
  std::size_t m_capacity;
  std::uint64_t m_pushed = 0;
  std::atomic<std::uint64_t> m_committed{0};
  std::atomic<std::uint64_t> m_commits{0};
  bool m_stopping = false;
  std::optional<Error> m_error;
  std::thread m_thread;
};

}  // namespace aidi::db
