-- 0014: aidi advise. An advice is a question (a harvest trace, a deadline,
-- an accuracy floor and the grid to sweep: its request, JSON) answered by
-- the campaigns it ran (advice_campaigns: the sweep's rounds and the
-- held-out validation) and, once ended, its answer (result, JSON: the
-- points, the Pareto front, the recommendation and its validation). The
-- same question asked again continues the same advice.
CREATE TABLE advice (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  request     TEXT NOT NULL,
  result      TEXT,
  state       TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  ended_at    TEXT
);
CREATE INDEX advice_by_request ON advice (request);
CREATE TABLE advice_campaigns (
  id          INTEGER PRIMARY KEY,
  advice_id   INTEGER NOT NULL REFERENCES advice(id) ON DELETE CASCADE,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  role        TEXT NOT NULL,  -- sweep, refine N, confirm, validation
  UNIQUE (advice_id, campaign_id)
);
