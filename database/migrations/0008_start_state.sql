-- 0008: when and how each inference was requested. An inference starts at
-- start_s of its harvest trace with the capacitor at v_start volts (by
-- default just browned out: V_off); a condition may spread its inferences
-- over several start times (`starts`), so one image has one row per start.
-- NULL on rows from before this version (they started at t = 0 and V_on).
ALTER TABLE inferences ADD COLUMN start_s REAL;
ALTER TABLE inferences ADD COLUMN v_start REAL;
-- A power cycle may end with the device shutting itself down to wait for
-- V_on (SRAM lost, drawing its board's shutdown power): how long it waited.
ALTER TABLE power_cycles ADD COLUMN shutdown_s REAL NOT NULL DEFAULT 0;
