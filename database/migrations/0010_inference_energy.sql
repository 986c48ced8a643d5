-- 0010: where each inference's energy went. The virtual board marks its
-- activity (NVM transfers, the layer it works on, its commits), and the
-- bench splits the energy it charged by layer and activity: one row per
-- (layer, activity, re-executed) of an inference. layer -1: boot and
-- restore, before the board turned to any layer (and the board's sleeps).
-- activity: compute, nvm_read, nvm_write, nvm_wake, adc, asleep, shut_down.
-- reexecuted: work since a power cycle's last commit, lost to its brown-out.
-- Runs on a real supply have no rows (nothing marks a real board's work).
CREATE TABLE inference_energy (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt    INTEGER NOT NULL,
  inference  INTEGER NOT NULL,
  layer      INTEGER NOT NULL,
  activity   TEXT NOT NULL,
  reexecuted INTEGER NOT NULL DEFAULT 0,
  joules     REAL NOT NULL,
  seconds    REAL NOT NULL
);
CREATE INDEX inference_energy_by_run ON inference_energy (run_id, attempt, inference);
