#include "aidi/db/batch_writer.hpp"

#include "aidi/db/database.hpp"
#include "sqlite.hpp"

namespace aidi::db {

// The writer thread's connection and prepared statements.
class BatchWriter::Impl {
 public:
  Impl(Database database, WriterOptions opts) : db(std::move(database)), options(std::move(opts)) {}
  Database db;
  WriterOptions options;
  sql::Statement beginTx, commitTx, rollbackTx;
  sql::Statement powerCycle, checkpoint, inference, event, finishRun, energy, sleep;
  bool flushRequested = false;

  Status prepareAll() {
    struct Item {
      sql::Statement& stmt;
      const char* text;
    } items[] = {
        {beginTx, "BEGIN IMMEDIATE"},
        {commitTx, "COMMIT"},
        {rollbackTx, "ROLLBACK"},
        {powerCycle,
         "INSERT INTO power_cycles (run_id, attempt, boot_id, start_s, on_s, off_s, device_cycles, v_start, v_end,"
         " inference, sleep_s, shutdown_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"},
        {checkpoint,
         "INSERT INTO checkpoints (run_id, attempt, boot_id, seq, inference, layer, job, cycles_since_boot,"
         " job_cycles, nvm_bytes, host_time_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?)"},
        {inference,
         "INSERT INTO inferences (run_id, attempt, inference, sample, label, predicted, finished, latency_s,"
         " energy_uj, active_cycles, power_cycles, reexecuted_cycles, checkpoint_cycles, boot_cycles, nvm_bytes,"
         " logits_crc, energy_bound_s, plain_cycles, harvest_w, active_m4_cycles, plain_m4_cycles,"
         " telemetry_instructions, start_s, v_start, firmware_build, job_plan)"
         " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
        {event, "INSERT INTO events (campaign_id, run_id, level, kind, message) VALUES (?,?,?,?,?)"},
        {sleep, "INSERT INTO sleeps (run_id, attempt, inference, boot_id, start_s, seconds) VALUES (?,?,?,?,?,?)"},
        {energy,
         "INSERT INTO inference_energy (run_id, attempt, inference, layer, activity, reexecuted, joules, seconds)"
         " VALUES (?,?,?,?,?,?,?,?)"},
        {finishRun,
         "UPDATE runs SET state = ?, failure = ?,"
         " finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
         " WHERE id = ? AND attempt = ? AND state = 'running'"},
    };
    for (auto& item : items) {
      auto stmt = sql::Statement::prepare(db.handle(), item.text);
      if (!stmt) return std::unexpected(stmt.error());
      item.stmt = std::move(*stmt);
    }
    return {};
  }

  Status write(const PowerCycleRow& r) {
    return powerCycle.bind(1, r.runId).bind(2, r.attempt).bind(3, r.bootId).bind(4, r.startS).bind(5, r.onS)
        .bind(6, r.offS).bind(7, r.deviceCycles).bind(8, r.vStart).bind(9, r.vEnd).bind(10, r.inference).bind(11, r.sleepS)
        .bind(12, r.shutdownS).run();
  }
  Status write(const CheckpointRow& r) {
    return checkpoint.bind(1, r.runId).bind(2, r.attempt).bind(3, r.bootId).bind(4, r.seq).bind(5, r.inference)
        .bind(6, r.layer).bind(7, r.job).bind(8, r.cyclesSinceBoot).bind(9, r.jobCycles).bind(10, r.nvmBytes)
        .bind(11, r.hostTimeNs).run();
  }
  Status write(const InferenceRow& r) {
    return inference.bind(1, r.runId).bind(2, r.attempt).bind(3, r.inference).bind(4, r.sample).bind(5, r.label)
        .bind(6, r.predicted).bind(7, r.finished ? 1 : 0).bind(8, r.latencyS).bind(9, r.energyUj)
        .bind(10, r.activeCycles).bind(11, r.powerCycles).bind(12, r.reexecutedCycles).bind(13, r.checkpointCycles)
        .bind(14, r.bootCycles).bind(15, r.nvmBytes).bind(16, r.logitsCrc).bind(17, r.energyBoundS)
        .bind(18, r.plainCycles).bind(19, r.harvestW).bind(20, r.activeM4Cycles).bind(21, r.plainM4Cycles)
        .bind(22, r.telemetryInstructions).bind(23, r.startS).bind(24, r.vStart).bind(25, r.firmwareBuild).bind(26, r.jobPlan).run();
  }
  Status write(const SleepRow& r) {
    return sleep.bind(1, r.runId).bind(2, r.attempt).bind(3, r.inference).bind(4, r.bootId).bind(5, r.startS)
        .bind(6, r.seconds).run();
  }
  Status write(const EnergyRow& r) {
    return energy.bind(1, r.runId).bind(2, r.attempt).bind(3, r.inference).bind(4, r.layer).bind(5, r.activity)
        .bind(6, r.reexecuted ? 1 : 0).bind(7, r.joules).bind(8, r.seconds).run();
  }
  Status write(const EventRow& r) {
    return event.bind(1, r.campaignId).bind(2, r.runId).bind(3, r.level).bind(4, r.kind).bind(5, r.message).run();
  }
  Status write(const RunFinished& r) {
    return finishRun.bind(1, r.ok ? "done" : "failed")
        .bind(2, r.ok ? std::optional<std::string>{} : std::optional<std::string>{r.failure})
        .bind(3, r.runId)
        .bind(4, r.attempt)
        .run();
  }

  Status commitBatch(const std::vector<Row>& batch) {
    if (auto ok = beginTx.run(); !ok) return ok;
    for (const Row& row : batch) {
      auto ok = std::visit([this](const auto& r) { return write(r); }, row);
      if (!ok) {
        (void)rollbackTx.run();
        return ok;
      }
    }
    if (auto ok = commitTx.run(); !ok) {
      (void)rollbackTx.run();
      return ok;
    }
    return {};
  }
};

BatchWriter::BatchWriter(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl)), m_capacity(std::max<std::size_t>(1, m_impl->options.queueCapacity)) {}

Result<std::unique_ptr<BatchWriter>> BatchWriter::start(const std::filesystem::path& path, WriterOptions options) {
  auto db = Database::open(path);
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>(std::move(*db), std::move(options));
  if (impl->options.maxPageCount) {
    if (auto ok = impl->db.setMaxPageCount(*impl->options.maxPageCount); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = impl->prepareAll(); !ok) return std::unexpected(ok.error());
  std::unique_ptr<BatchWriter> writer(new BatchWriter(std::move(impl)));
  writer->m_thread = std::thread([w = writer.get()] { w->loop(); });
  return writer;
}

BatchWriter::~BatchWriter() { (void)close(); }

Status BatchWriter::push(Row row, std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mutex);
  if (m_error) return std::unexpected(*m_error);
  if (m_stopping) return fail(ErrorCode::Closed, "database writer is closed");
  if (m_queue.size() >= m_capacity) {
    if (!m_notFull.wait_for(lock, timeout, [&] { return m_queue.size() < m_capacity || m_error || m_stopping; }))
      return fail(ErrorCode::Busy, "database writer queue stayed full for " + std::to_string(timeout.count()) + " ms");
    if (m_error) return std::unexpected(*m_error);
    if (m_stopping) return fail(ErrorCode::Closed, "database writer is closed");
  }
  m_queue.push_back(std::move(row));
  ++m_pushed;
  // Wake the writer only when it has something to start or a full batch.
  if (m_queue.size() == 1 || m_queue.size() >= m_impl->options.batchRows) m_notEmpty.notify_one();
  return {};
}

Status BatchWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mutex);
  const std::uint64_t target = m_pushed;
  m_impl->flushRequested = true;
  m_notEmpty.notify_one();
  if (!m_committedCv.wait_for(lock, timeout, [&] { return m_committed.load() >= target || m_error.has_value(); }))
    return fail(ErrorCode::Busy, "database writer did not commit within " + std::to_string(timeout.count()) + " ms");
  if (m_error) return std::unexpected(*m_error);
  return {};
}

Status BatchWriter::close() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_notEmpty.notify_all();
  m_notFull.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mutex);
  if (m_error) return std::unexpected(*m_error);
  return {};
}

void BatchWriter::loop() {
  const auto& options = m_impl->options;
  std::vector<Row> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(m_mutex);
      m_notEmpty.wait(lock, [&] { return !m_queue.empty() || m_stopping; });
      if (m_queue.empty()) break;  // stopping and drained
      m_notEmpty.wait_for(lock, options.batchInterval, [&] {
        return m_queue.size() >= options.batchRows || m_stopping || m_impl->flushRequested;
      });
      m_impl->flushRequested = false;
      // Take everything queued in O(1); the producer refills the other buffer.
      batch.swap(m_queue);
    }
    m_notFull.notify_all();

    auto ok = m_impl->commitBatch(batch);
    std::unique_lock lock(m_mutex);
    if (!ok) {
      m_error = Error{ok.error().code, m_impl->db.path().string() + ": write failed, " +
                                           std::to_string(m_committed.load()) + " rows committed before: " +
                                           ok.error().message};
      m_queue.clear();
      m_committedCv.notify_all();
      m_notFull.notify_all();
      return;
    }
    m_committed += batch.size();
    ++m_commits;
    const std::uint64_t committed = m_committed.load();
    lock.unlock();
    m_committedCv.notify_all();
    if (options.onCommit) options.onCommit(committed);
  }
}

}  // namespace aidi::db
