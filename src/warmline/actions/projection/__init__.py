"""Projection: events become the memory's rows, a batch at a time (see :mod:`.projector`)."""
