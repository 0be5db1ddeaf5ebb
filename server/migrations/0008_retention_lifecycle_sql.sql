-- Soft-deleted snapshots from before purge_time existed get the default undelete window (7 days).
-- Idempotent: only rows still without a purge time are touched.
update "snapshots" set "purge_time" = "delete_time" + interval '7 days'
where "state" = 'DELETED' and "purge_time" is null and "delete_time" is not null;
