"""Tables, queries and migrations. Only :mod:`warmline.actions` writes through it."""
