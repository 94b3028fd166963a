-- The secrets table of 0001 was never used: account credentials are sealed in
-- their own rows (accounts.sealed_key) and nothing read or wrote it.
DROP TABLE IF EXISTS secrets;
