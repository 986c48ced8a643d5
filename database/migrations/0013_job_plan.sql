-- 0013: the plan a run's device executed when the bench chose it offline
-- (the inas policy's search: rows per job, one number per layer, comma
-- separated). NULL for policies that plan on the device.
ALTER TABLE inferences ADD COLUMN job_plan TEXT;
