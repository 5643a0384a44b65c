"""Moments that matter: rules over activities, facts and dates that cue the agent (with the
reason, the source and when the cue ends), never a script."""
