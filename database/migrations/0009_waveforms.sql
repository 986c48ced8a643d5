-- 0009: waveforms. What an instrument measured or the virtual bench
-- modelled (current, voltage, power), stored as blocks of samples per
-- channel with a min/max/sum pyramid above them, so an hour at 100 kS/s
-- draws at any zoom from a few blocks and integrates between any two
-- times exactly (database/src/waveform_store.cpp; the block format is in
-- waveform_codec.hpp).
--
-- A channel is one quantity of one run's attempt from one source
-- ('model', 'psu', 'ppk2', ...); `sample` is the inference it belongs to
-- (-1: recorded over the whole run). Values are stored as integer codes:
-- value = code * step.
CREATE TABLE waveform_channels (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  sample  INTEGER NOT NULL DEFAULT -1,
  source  TEXT NOT NULL,
  name    TEXT NOT NULL,
  unit    TEXT NOT NULL,
  step    REAL NOT NULL CHECK (step > 0),
  UNIQUE (run_id, attempt, sample, source, name)
);

-- A channel is sampled in segments: an unbroken stretch at one rate from
-- t0_s (the instrument lost samples, or the modelled device was off and is
-- sampled slower). `count`: samples committed so far; `levels`: the levels
-- of its pyramid once the segment is complete (NULL while it is written, or
-- when its writer died: then the blocks present tell).
CREATE TABLE waveform_segments (
  id         INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL REFERENCES waveform_channels(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  t0_s       REAL NOT NULL,
  rate_hz    REAL NOT NULL CHECK (rate_hz > 0),
  count      INTEGER NOT NULL DEFAULT 0,
  levels     INTEGER,
  UNIQUE (channel_id, seq)
);

-- Level 0: the samples; level k: min, max and sum of each 64^k samples.
-- A rowid table with a separate index: in a WITHOUT ROWID table the key's
-- comparisons would read each 20 KB row whole (its overflow pages) at every
-- step of the search.
CREATE TABLE waveform_blocks (
  id         INTEGER PRIMARY KEY,
  segment_id INTEGER NOT NULL REFERENCES waveform_segments(id) ON DELETE CASCADE,
  level      INTEGER NOT NULL,
  block      INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  data       BLOB NOT NULL
);
CREATE UNIQUE INDEX waveform_blocks_by_segment ON waveform_blocks (segment_id, level, block);

-- The per-row sample table it replaces was never written outside tests.
DROP TABLE instrument_samples;
