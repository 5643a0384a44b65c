"""HTTP API (FastAPI): thin routes over actions (writes) and storage queries (reads)."""
