-- A change the server refused only because a row it names (a chunk's
-- document) is not there yet waits instead of being refused for good:
-- waits_for_table / waits_for_row name that row, and once this device has
-- seen it on the server (it has a shadow copy) the change is queued again.
ALTER TABLE sync_rejected ADD COLUMN waits_for_table TEXT;
ALTER TABLE sync_rejected ADD COLUMN waits_for_row TEXT;
