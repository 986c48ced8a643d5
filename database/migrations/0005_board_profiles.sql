-- 0005: boards are data (boards/*.toml). Every run names the board profile it
-- ran with, and a campaign keeps the text of each profile it used, so reports
-- print the run's own figures and a resume runs with the same ones even when
-- the file has changed since. Runs recorded before ran on the virtual board.
ALTER TABLE runs ADD COLUMN board TEXT NOT NULL DEFAULT 'mps2-an386';

CREATE TABLE board_profiles (
  campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  source_path  TEXT,
  profile_toml TEXT NOT NULL,
  PRIMARY KEY (campaign_id, name)
);
