// A realistic data folder for the populated-views test: 100,000 memory cards
// (to prove the list stays smooth), chats, a mind file and documents. Rows are
// written with capture off, as if pulled from the server, so nothing is pending.
import { CLI, sql } from "./harness";
import { execFileSync } from "node:child_process";

const TEXTS = [
  "Prefers oat milk in coffee and drinks it without sugar",
  "Works on the Noesis sync engine in Rust, with a Tauri desktop shell",
  "The cat is called Miso and is afraid of the vacuum cleaner",
  "Wants answers short and to the point, with code examples when relevant",
  "Runs PostgreSQL 16 with pgvector on the Mac Studio at home",
  "Reading 'The Dispossessed' by Ursula K. Le Guin this month",
  "Meets the physiotherapist every second Thursday at 18:00",
  "Uses British spelling in documents but American spelling in code",
  "Plans a trip to Lisbon in May; prefers trains to flights in Europe",
  "Allergic to penicillin",
  "The laptop is a ThinkPad X1 running Debian 12",
  "Keeps a paper notebook for meeting notes and scans it every Friday",
];

export function seed(dataDir: string, cards = 100_000): void {
  // The CLI creates the cache with its schema, as the app would.
  execFileSync(CLI, ["status", "--json", "--data-dir", dataDir], { encoding: "utf8" });
  const texts = TEXTS.map((t, i) => `SELECT ${i} AS k, '${t.replace(/'/g, "''")}' AS t`).join(" UNION ALL ");
  sql(
    dataDir,
    `BEGIN;
     UPDATE sync_capture SET capturing = 0;
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${cards}),
          texts AS (${texts})
     INSERT INTO memory_cards (id, created_at, category, scope, text, approval, approved_at, rejected_at, provenance)
     SELECT printf('card-%06d', i),
            strftime('%Y-%m-%dT%H:%M:%S', '2024-01-01', '+' || (i * 7) || ' minutes') || '.000000Z',
            CASE i % 4 WHEN 0 THEN 'preferences' WHEN 1 THEN 'principles_values' WHEN 2 THEN 'decision_heuristics' ELSE 'vocabulary' END,
            CASE i % 3 WHEN 1 THEN 'project' ELSE 'global' END,
            (SELECT t FROM texts WHERE k = i % ${TEXTS.length}) || ' (#' || i || ')',
            CASE i % 5 WHEN 0 THEN 'approved' WHEN 1 THEN 'rejected' ELSE 'pending' END,
            NULL, NULL, '{"reason":"Proposed from a chat","derived_from_artifact_ids":["s-' || (i % 50) || '"],"sources":[],"tools_used":[],"model":"qwen2.5"}'
     FROM n;
     INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES
       ('s-1', 'Planning the Lisbon trip', '2024-05-01T09:00:00.000000Z', '2024-05-02T10:30:00.000000Z',
        '[{"role":"user","text":"Can you find trains from Paris to Lisbon in May?"},{"role":"assistant","text":"There is a night train via Hendaye; it takes about 20 hours with one change.","model":"qwen2.5"},{"role":"user","text":"Book the Tuesday one, and remind me to pack the adapter."}]'),
       ('s-2', 'Sync engine design', '2024-04-20T14:00:00.000000Z', '2024-04-21T16:00:00.000000Z',
        '[{"role":"user","text":"How should the pull cursor avoid skipping late commits?"},{"role":"assistant","text":"Read only changes below the xid8 horizon and use (xid, change id) as the cursor.","model":"qwen2.5"}]'),
       ('s-3', 'Empty draft', '2024-03-01T08:00:00.000000Z', '2024-03-01T08:00:00.000000Z', '[]');
     INSERT INTO mindfile_entries (id, created_at, updated_at, category, text, source_memory_card_id, note) VALUES
       ('m-1', '2024-02-01T00:00:00.000000Z', '2024-02-01T00:00:00.000000Z', 'preferences', 'Takes coffee with oat milk, no sugar', 'card-000012', ''),
       ('m-2', '2024-02-01T00:00:00.000000Z', '2024-02-02T00:00:00.000000Z', 'preferences', 'Likes short answers with code', 'card-000003', 'Confirmed in April'),
       ('m-3', '2024-02-01T00:00:00.000000Z', '2024-02-03T00:00:00.000000Z', 'principles_values', 'Allergic to penicillin', 'card-000009', ''),
       ('m-4', '2024-02-01T00:00:00.000000Z', '2024-02-04T00:00:00.000000Z', 'vocabulary', 'Has a cat called Miso', 'card-deleted', '');
     INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, error_message, tags, notes) VALUES
       ('d-1', '2024-04-01T00:00:00.000000Z', 'xid8-horizon.pdf', '/srv/noesis/docs/xid8-horizon.pdf', 'pdf', 482133, 'a1', 'indexed', 3, '', '["postgres","sync"]', 'Explains the snapshot horizon'),
       ('d-2', '2024-04-02T00:00:00.000000Z', 'lisbon-itinerary.md', '/srv/noesis/docs/lisbon-itinerary.md', 'md', 5120, 'b2', 'indexed', 1, '', '["travel"]', ''),
       ('d-3', '2024-04-03T00:00:00.000000Z', 'scan-0423.png', '/srv/noesis/docs/scan-0423.png', 'png', 2381221, 'c3', 'error', 0, 'OCR failed: image too dark', '[]', '');
     INSERT INTO document_chunks (id, document_id, chunk_index, text, page_number, heading) VALUES
       ('d-1-0', 'd-1', 0, 'A transaction that started earlier may commit later; a cursor on commit order alone would skip it.', 1, 'The problem'),
       ('d-1-1', 'd-1', 1, 'pg_snapshot_xmin(pg_current_snapshot()) is the oldest transaction still running: below it, nothing can appear any more.', 2, 'The horizon'),
       ('d-1-2', 'd-1', 2, 'The cursor is the pair (xid, change id), compared lexicographically.', 3, 'The cursor'),
       ('d-2-0', 'd-2', 0, 'Day 1: Alfama and the castle. Day 2: Belém. Day 3: Sintra by train.', 0, 'Itinerary');
     UPDATE sync_capture SET capturing = 1;
     -- This device has been set up before: no first-run wizard.
     INSERT INTO sync_state (key, value) VALUES ('wizard_dismissed', 'yes');
     COMMIT;`,
  );
}
