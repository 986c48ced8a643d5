-- 0001: the run database. Every table a campaign writes; telemetry rows carry
-- (run_id, attempt) so a re-run after a crash replaces the lost attempt's rows
-- and each planned run ends recorded exactly once.

CREATE TABLE benches (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT,
  config_toml TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE devices (
  id          INTEGER PRIMARY KEY,
  bench_id    INTEGER REFERENCES benches(id) ON DELETE CASCADE,
  target      TEXT NOT NULL,
  serial      TEXT NOT NULL DEFAULT '',
  description TEXT,
  UNIQUE (bench_id, target, serial)
);

CREATE TABLE firmware_builds (
  id          INTEGER PRIMARY KEY,
  build_hash  TEXT NOT NULL,
  target      TEXT NOT NULL,
  model       TEXT NOT NULL,
  policy      TEXT NOT NULL,
  version     TEXT,
  elf_path    TEXT,
  flash_bytes INTEGER,
  sram_bytes  INTEGER,
  UNIQUE (build_hash, target, model, policy)
);

CREATE TABLE campaigns (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  source_path TEXT,
  config_toml TEXT,
  bench_id    INTEGER REFERENCES benches(id),
  state       TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'running', 'done', 'failed')),
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT
);

CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  campaign_id       INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  plan_index        INTEGER NOT NULL,
  model             TEXT NOT NULL,
  policy            TEXT NOT NULL,
  condition         TEXT NOT NULL,
  capacitor_uf      REAL,
  repetition        INTEGER NOT NULL DEFAULT 0,
  samples           INTEGER NOT NULL DEFAULT 0,
  firmware_build_id INTEGER REFERENCES firmware_builds(id),
  device_id         INTEGER REFERENCES devices(id),
  state             TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'running', 'done', 'failed')),
  attempt           INTEGER NOT NULL DEFAULT 0,
  started_at        TEXT,
  finished_at       TEXT,
  failure           TEXT,
  energy_bound_s    REAL,
  UNIQUE (campaign_id, plan_index)
);
CREATE INDEX runs_by_campaign_state ON runs (campaign_id, state);
CREATE INDEX runs_by_matrix ON runs (model, policy, condition);

CREATE TABLE power_cycles (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  boot_id       INTEGER NOT NULL,
  start_s       REAL NOT NULL,   -- simulated or instrument time of power-on
  on_s          REAL NOT NULL,
  off_s         REAL NOT NULL,
  device_cycles INTEGER,
  v_start       REAL,
  v_end         REAL
);
CREATE INDEX power_cycles_by_run ON power_cycles (run_id, attempt, start_s);

CREATE TABLE checkpoints (
  id                INTEGER PRIMARY KEY,
  run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt           INTEGER NOT NULL,
  boot_id           INTEGER NOT NULL,
  seq               INTEGER NOT NULL,
  inference         INTEGER NOT NULL,
  layer             INTEGER NOT NULL,
  job               INTEGER NOT NULL,
  cycles_since_boot INTEGER NOT NULL,
  job_cycles        INTEGER,
  nvm_bytes         INTEGER,
  host_time_ns      INTEGER
);
CREATE INDEX checkpoints_by_run ON checkpoints (run_id, attempt);

CREATE TABLE inferences (
  id                INTEGER PRIMARY KEY,
  run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt           INTEGER NOT NULL,
  inference         INTEGER NOT NULL,
  sample            INTEGER NOT NULL,
  label             INTEGER,
  predicted         INTEGER,          -- NULL when the inference did not finish
  finished          INTEGER NOT NULL DEFAULT 1,
  latency_s         REAL,
  energy_uj         REAL,
  active_cycles     INTEGER,
  power_cycles      INTEGER,
  reexecuted_cycles INTEGER,
  checkpoint_cycles INTEGER,
  boot_cycles       INTEGER,
  nvm_bytes         INTEGER,
  logits_crc        INTEGER
);
CREATE INDEX inferences_by_run ON inferences (run_id, attempt);

CREATE TABLE instrument_samples (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt    INTEGER NOT NULL,
  instrument TEXT NOT NULL,
  channel    INTEGER NOT NULL DEFAULT 1,
  t_s        REAL NOT NULL,
  volts      REAL,
  amps       REAL
);
CREATE INDEX instrument_samples_by_run ON instrument_samples (run_id, instrument, t_s);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  campaign_id INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
  run_id      INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  host_time   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  level       TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
  kind        TEXT NOT NULL,
  message     TEXT NOT NULL
);
CREATE INDEX events_by_run ON events (run_id);
