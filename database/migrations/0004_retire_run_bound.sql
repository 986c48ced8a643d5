-- 0004: the energy-bound limit is per inference (inferences.energy_bound_s,
-- 0002): each sample has its own plain instruction count. The run-level
-- column that preceded it has not been written since; drop it so no reader
-- mistakes its NULLs for data.
ALTER TABLE runs DROP COLUMN energy_bound_s;
