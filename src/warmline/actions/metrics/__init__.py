"""Metrics kept at ingest: each source row's contribution recomputed when it or its
neighbours change, the difference applied to the rollups in the same transaction
(:mod:`.refresh`, :mod:`.rollups`), and the whole recomputed from the memory by
``warmline metrics rebuild`` (:mod:`.rebuild`)."""
