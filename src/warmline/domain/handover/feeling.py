"""How the customer feels, for a handover note: the interaction's mood in the note's terms.

The note's :class:`~warmline.domain.handover.note.Feeling` is filled from the conversation
insight models (:func:`~warmline.models.analyse_messages` and
:func:`~warmline.domain.insight.interaction_mood`) run on the customer's messages of the
interaction being handed over: the feeling ("frustrated"), how it moved ("calmer by the
end") and the customer's own line that shows it. Pure: the caller passes what reads
the messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from warmline.domain.conversation.turns import Turn
from warmline.domain.handover.note import Feeling
from warmline.domain.insight import InteractionMood, MessageInsight, interaction_mood

_UNDATED = dt.datetime.min.replace(tzinfo=dt.UTC)
#: Reads messages: :func:`warmline.models.analyse_messages` in the product.
Analyse = Callable[[Sequence[str]], Sequence[MessageInsight]]


def customer_feeling(turns: Sequence[Turn], analyse: Analyse) -> Feeling | None:
    """The customer's feeling in ``turns`` (their messages only), or None if unreadable."""
    said = [t for t in turns if t.speaker == "customer" and t.text.strip()]
    if not said:
        return None
    insights = analyse([t.text for t in said])
    points = [(t.at or _UNDATED, t.text, i) for t, i in zip(said, insights, strict=True)]
    return feeling_from_mood(interaction_mood(points))


def feeling_from_mood(mood: InteractionMood) -> Feeling | None:
    """The note's feeling from an interaction mood; None when no message could be read."""
    if mood.messages == 0:
        return None
    label, trend = mood.feeling, None
    if mood.words.startswith(f"{mood.feeling}, "):
        trend = mood.words.removeprefix(f"{mood.feeling}, ")
    elif mood.words != mood.feeling:
        label = mood.words  # "pleased at first, less so by the end" reads as one phrase
    line = mood.line.strip("“”") if mood.line else None
    return Feeling(label=label, trend=trend, line=line)
