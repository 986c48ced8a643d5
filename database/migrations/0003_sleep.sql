-- 0003: a power cycle may include time the device slept, powered and with
-- SRAM kept, waiting for energy (the aidi policy). Latency = off + on + sleep.
ALTER TABLE power_cycles ADD COLUMN sleep_s REAL NOT NULL DEFAULT 0;
