"""The moment a card is for, and the card's shared words for channels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from warmline.domain.forms.definitions import Form
from warmline.domain.moments.rules import MomentRules

RECENT_INTERACTIONS = 10

ACTIVITY_HORIZON = dt.timedelta(days=90)

CHANNEL_WORDS = {
    "chat": "chat",
    "voice": "a call",
    "email": "email",
    "sms": "SMS",
    "app": "the app",
    "web": "the website",
    "branch": "the branch",
    "video": "a video call",
}

#: Channels where a customer can read out or key in a continuation code: a voice or video
#: call, a chat, the branch counter. An email or SMS arrives too late for a code that lasts
#: minutes; the app and the website have their own sign-in.
CODE_CHANNELS = frozenset({"voice", "video", "chat", "branch"})


@dataclass(frozen=True, slots=True)
class CardContext:
    """The moment the card is for: when, and (for a contact) on which channel and interaction."""

    now: dt.datetime
    channel: str | None = None
    interaction_id: str | None = None
    continuity_window: dt.timedelta = dt.timedelta(minutes=30)
    currency: str = "GBP"
    """The currency of amounts an event gave without one."""
    moments: MomentRules | None = None
    """The moment rules the card's cues come from (None: no cues)."""
    forms: tuple[Form, ...] = ()
    """Forms a contact may be about: the card says which of their fields are stale."""
