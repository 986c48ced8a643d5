-- 0007: what an inference cost, counted apart. active_cycles, plain_cycles
-- and the overhead columns hold the device's own count: instructions on the
-- virtual board (QEMU icount), cycles on a real board (DWT). The virtual
-- board also counts cycle-approximate Cortex-M4 cycles (its simulated time
-- and energy follow them): of everything it ran on its budgets, and of the
-- plain inference the energy-bound limit is computed from. The instructions
-- spent sending telemetry frames are the cost of being observed. NULL where
-- not counted: rows from before this version; on a real board the active
-- count and the telemetry (its plain_m4_cycles come from the virtual board).
ALTER TABLE inferences ADD COLUMN active_m4_cycles INTEGER;
ALTER TABLE inferences ADD COLUMN plain_m4_cycles INTEGER;
ALTER TABLE inferences ADD COLUMN telemetry_instructions INTEGER;
