-- 0008: when and how each inference was requested. An inference starts at
-- start_s of its harvest trace with the capacitor at v_start volts (by
-- default just browned out: V_off); a condition may spread its inferences
-- over several start times (`starts`), so one image has one row per start.
-- NULL on rows from before this version (they started at t = 0 and V_on).
ALTER TABLE inferences ADD COLUMN start_s REAL;
ALTER TABLE inferences ADD COLUMN v_start REAL;
