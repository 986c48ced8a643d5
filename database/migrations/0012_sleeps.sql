-- 0012: when the device slept, powered, waiting for energy (or for its next
-- request), within each power cycle: a profiler marks them. Where the
-- harvester knows them (the virtual bench); none elsewhere.
CREATE TABLE sleeps (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt   INTEGER NOT NULL,
  inference INTEGER NOT NULL,
  boot_id   INTEGER NOT NULL,
  start_s   REAL NOT NULL,
  seconds   REAL NOT NULL
);
CREATE INDEX sleeps_by_run ON sleeps (run_id, attempt, inference);
