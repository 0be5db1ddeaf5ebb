-- Catalog: full-text search vector of snapshots and exact live-tag counters, both maintained by
-- triggers in the transaction of every change. Idempotent.

-- An identifier as words: every run of non-alphanumeric characters becomes a space, so
-- "sku-chair-12" and "release/2024-06" are found by each of their parts (once each, so an
-- identifier's word does not outweigh a word of a heavier field).
CREATE OR REPLACE FUNCTION vellum_fts_words(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(coalesce(t, ''), '[^[:alnum:]]+', ' ', 'g')
$$;
--> statement-breakpoint
-- The string and number values of a labels document, space-separated (the text highlights are
-- taken from; the vector indexes the same values with jsonb_to_tsvector).
CREATE OR REPLACE FUNCTION vellum_label_text(labels jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(v #>> '{}', ' '), '')
  FROM jsonb_path_query(coalesce(labels, '{}'::jsonb), 'strict $.**') AS v
  WHERE jsonb_typeof(v) IN ('string', 'number')
$$;
--> statement-breakpoint
-- The weighted search vector: A tags and resource id, B commit message and resource type,
-- C annotations and label values, D creator. Prose (message, annotations) is English-stemmed;
-- identifiers use the 'simple' configuration.
CREATE OR REPLACE FUNCTION vellum_search_vector(
  resource_type text, resource_id text, commit_message text, tags text[], labels jsonb, created_by text, annotations text
) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    setweight(to_tsvector('simple', vellum_fts_words(array_to_string(tags, ' ')) || ' ' || vellum_fts_words(resource_id)), 'A') ||
    setweight(to_tsvector('english', coalesce(commit_message, '')) || to_tsvector('simple', vellum_fts_words(resource_type)), 'B') ||
    setweight(to_tsvector('english', coalesce(annotations, '')) || jsonb_to_tsvector('simple', coalesce(labels, '{}'::jsonb), '["string", "numeric"]'), 'C') ||
    setweight(to_tsvector('simple', vellum_fts_words(created_by)), 'D')
$$;
--> statement-breakpoint
-- A snapshot's annotations as one text, oldest first, capped so the vector stays far below
-- PostgreSQL's 1 MB tsvector limit.
CREATE OR REPLACE FUNCTION vellum_annotation_text(snapshot uuid) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT left(coalesce(string_agg(message, ' ' ORDER BY create_time, id), ''), 200000)
  FROM snapshot_annotations WHERE snapshot_id = snapshot
$$;
--> statement-breakpoint
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS search_vector tsvector;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION vellum_snapshots_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := vellum_search_vector(
    NEW.resource_type, NEW.resource_id, NEW.commit_message, NEW.tags, NEW.labels, NEW.created_by,
    CASE WHEN TG_OP = 'INSERT' THEN '' ELSE vellum_annotation_text(NEW.id) END);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER snapshots_search_vector
  BEFORE INSERT OR UPDATE OF resource_type, resource_id, commit_message, tags, labels, created_by ON snapshots
  FOR EACH ROW EXECUTE FUNCTION vellum_snapshots_search_vector();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION vellum_annotations_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE snapshots s SET search_vector = vellum_search_vector(
    s.resource_type, s.resource_id, s.commit_message, s.tags, s.labels, s.created_by, vellum_annotation_text(s.id))
  WHERE s.id = NEW.snapshot_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER snapshot_annotations_search_vector
  AFTER INSERT ON snapshot_annotations
  FOR EACH ROW EXECUTE FUNCTION vellum_annotations_search_vector();
--> statement-breakpoint
UPDATE snapshots s SET search_vector = vellum_search_vector(
  s.resource_type, s.resource_id, s.commit_message, s.tags, s.labels, s.created_by, vellum_annotation_text(s.id))
WHERE s.search_vector IS NULL;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS snapshots_search_idx ON snapshots USING gin (search_vector);
--> statement-breakpoint
-- Live-tag counters: one statement-level trigger per operation applies the statement's net change
-- per (store, tag), taking the counter rows in (store, tag) order so concurrent writers cannot
-- deadlock on them, then deletes the store's counters that reached zero.
CREATE OR REPLACE FUNCTION vellum_tag_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO tag_counts (store_id, tag, live_count)
    SELECT store_id, tag, count(*) FROM new_rows, unnest(tags) AS tag WHERE state = 'ACTIVE'
    GROUP BY store_id, tag ORDER BY store_id, tag
    ON CONFLICT (store_id, tag) DO UPDATE SET live_count = tag_counts.live_count + excluded.live_count;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO tag_counts (store_id, tag, live_count)
    SELECT store_id, tag, sum(n) FROM (
      SELECT store_id, unnest(tags) AS tag, 1 AS n FROM new_rows WHERE state = 'ACTIVE'
      UNION ALL
      SELECT store_id, unnest(tags), -1 FROM old_rows WHERE state = 'ACTIVE'
    ) AS d
    GROUP BY store_id, tag HAVING sum(n) <> 0 ORDER BY store_id, tag
    ON CONFLICT (store_id, tag) DO UPDATE SET live_count = tag_counts.live_count + excluded.live_count;
    DELETE FROM tag_counts WHERE store_id IN (SELECT store_id FROM old_rows) AND live_count <= 0;
  ELSE
    INSERT INTO tag_counts (store_id, tag, live_count)
    SELECT store_id, tag, -count(*) FROM old_rows, unnest(tags) AS tag WHERE state = 'ACTIVE'
    GROUP BY store_id, tag ORDER BY store_id, tag
    ON CONFLICT (store_id, tag) DO UPDATE SET live_count = tag_counts.live_count + excluded.live_count;
    DELETE FROM tag_counts WHERE store_id IN (SELECT store_id FROM old_rows) AND live_count <= 0;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER snapshots_tag_counts_insert
  AFTER INSERT ON snapshots REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION vellum_tag_counts();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER snapshots_tag_counts_update
  AFTER UPDATE ON snapshots REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION vellum_tag_counts();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER snapshots_tag_counts_delete
  AFTER DELETE ON snapshots REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION vellum_tag_counts();
--> statement-breakpoint
INSERT INTO tag_counts (store_id, tag, live_count)
SELECT store_id, tag, count(*) FROM snapshots, unnest(tags) AS tag WHERE state = 'ACTIVE'
GROUP BY store_id, tag
ON CONFLICT (store_id, tag) DO NOTHING;
