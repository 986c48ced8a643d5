-- 0011: where a campaign's results come from, for its report: the bench
-- that planned it (aidi's version, the host) and, per inference, the
-- firmware build the board said it runs (its Hello's build hash). NULL on
-- rows from before this version.
ALTER TABLE campaigns ADD COLUMN bench_version TEXT;
ALTER TABLE campaigns ADD COLUMN host TEXT;
ALTER TABLE inferences ADD COLUMN firmware_build TEXT;
