-- 0002: what a latency report needs per inference and per power cycle.
-- A run holds several inferences (samples), each on a freshly powered board,
-- so power cycles name their inference; the energy-bound limit depends on the
-- sample's instruction count, so it is kept per inference, with the
-- instructions of the plain inference it was computed from and the mean
-- harvested power while the inference ran.
ALTER TABLE power_cycles ADD COLUMN inference INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inferences ADD COLUMN energy_bound_s REAL;
ALTER TABLE inferences ADD COLUMN plain_cycles INTEGER;
ALTER TABLE inferences ADD COLUMN harvest_w REAL;
DROP INDEX power_cycles_by_run;
CREATE INDEX power_cycles_by_run ON power_cycles (run_id, attempt, inference, start_s);
