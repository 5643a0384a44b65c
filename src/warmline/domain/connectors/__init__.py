"""Translators from other systems' own payloads (Chatwoot, Zendesk) to Warmline events.

Pure functions on plain data: a payload in, envelopes of the existing event types out,
with every gap (a missing id, an unknown field, a value left out) recorded as a warning.
"""
