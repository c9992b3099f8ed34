-- A migration run killed midway (kill -9, a crash, a laptop closed) is marked
-- 'interrupted' by the next run of the same device, instead of staying
-- 'running' forever in the log every device and the wizard read.
ALTER TABLE noesis_sync.legacy_runs DROP CONSTRAINT IF EXISTS legacy_runs_status_check;
ALTER TABLE noesis_sync.legacy_runs ADD CONSTRAINT legacy_runs_status_check
    CHECK (status IN ('running', 'completed', 'failed', 'interrupted'));
