// The lab's tables on PostgreSQL (schema version kLabSchemaVersion).
#pragma once

namespace aidi::lab {

inline constexpr const char* kLabSchemaSql = R"SQL(
CREATE TABLE IF NOT EXISTS lab_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE IF NOT EXISTS lab_campaigns (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  config_toml  text NOT NULL,
  submitted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS lab_files (
  campaign_id bigint NOT NULL REFERENCES lab_campaigns(id) ON DELETE CASCADE,
  path        text NOT NULL,
  content     bytea NOT NULL,
  PRIMARY KEY (campaign_id, path)
);
CREATE TABLE IF NOT EXISTS lab_runs (
  id          bigserial PRIMARY KEY,
  campaign_id bigint NOT NULL REFERENCES lab_campaigns(id) ON DELETE CASCADE,
  plan_index  integer NOT NULL,
  uuid        uuid NOT NULL UNIQUE,
  model       text NOT NULL,
  policy      text NOT NULL,
  condition   text NOT NULL,
  board       text NOT NULL,
  required    jsonb NOT NULL DEFAULT '{}',
  state       text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'running', 'done', 'failed')),
  worker      text,
  lease_until timestamptz,
  attempts    integer NOT NULL DEFAULT 0,
  failure     text,
  ended_at    timestamptz,
  UNIQUE (campaign_id, plan_index)
);
CREATE INDEX IF NOT EXISTS lab_runs_claimable ON lab_runs (id) WHERE state IN ('planned', 'running');
CREATE TABLE IF NOT EXISTS lab_results (
  run_uuid    uuid PRIMARY KEY REFERENCES lab_runs(uuid) ON DELETE CASCADE,
  worker      text NOT NULL,
  attempt     integer NOT NULL,
  uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS lab_inferences (
  run_uuid       uuid NOT NULL REFERENCES lab_results(run_uuid) ON DELETE CASCADE,
  inference      integer NOT NULL,
  sample         integer NOT NULL,
  label          integer,
  predicted      integer,
  finished       boolean NOT NULL,
  latency_s      double precision,
  energy_bound_s double precision,
  energy_uj      double precision,
  power_cycles   bigint NOT NULL,
  PRIMARY KEY (run_uuid, inference)
);
CREATE TABLE IF NOT EXISTS lab_workers (
  name      text PRIMARY KEY,
  host      text NOT NULL,
  tags      jsonb NOT NULL,
  last_seen timestamptz NOT NULL,
  runs_done integer NOT NULL DEFAULT 0
);
)SQL";

}  // namespace aidi::lab
