"""The only code that writes to the memory: ingest, rebuild, keys (and later merges, erasure)."""
