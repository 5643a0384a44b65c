"""Bulk import: what organisations export (CSV of customers, CSV of interactions and
messages, mbox archives) read into Warmline's events, row by row, as plain data.

Every event id is derived from what the row says, so importing a file again skips what
is in: a run stopped halfway is resumed by running it again.
"""
