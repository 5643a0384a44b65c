"""Pre-filled forms: the profile facts a form may ask for, form definitions, and what is on
record for each field (its source, age and whether it must be confirmed again)."""
