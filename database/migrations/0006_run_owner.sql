-- 0006: a run being executed has an owner: the process that claimed it
-- ("HOST PID START", START telling a reused process id apart) and the time
-- that process last showed it was alive. A run held by a live owner is never
-- claimed by another process (two `aidi resume` share the work); the run of
-- an owner that died is claimed again and re-run from scratch.
ALTER TABLE runs ADD COLUMN owner TEXT;
ALTER TABLE runs ADD COLUMN heartbeat_at REAL;  -- unix seconds
