-- request_logs_model_ts (0002) is read by no query: the Logs page's model
-- filter matches requested_model OR upstream_model, which SQLite answers
-- by walking request_logs_ts. The index only cost every logged request an
-- insert and its commit a page. backend/usage/indexes_test.go checks that
-- every index left on request_logs serves one of the log's queries.
DROP INDEX IF EXISTS request_logs_model_ts;
