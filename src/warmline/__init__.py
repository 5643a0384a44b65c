"""Warmline: one memory per customer across every channel, for the person who answers.

The public API is what ``__all__`` lists; everything else is private and may change.
"""

from importlib import metadata

from warmline.actions.ingest import BatchResult, ItemResult, ingest_events
from warmline.actions.keys import create_key
from warmline.actions.rebuild import rebuild_projections
from warmline.config import Settings
from warmline.errors import WarmlineError
from warmline.events import EVENT_TYPES, parse_event
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

#: The installed distribution's version (``pyproject.toml`` is the one place it is set).
__version__ = metadata.version("warmline")

__all__ = [
    "EVENT_TYPES",
    "BatchResult",
    "ItemResult",
    "Settings",
    "WarmlineError",
    "__version__",
    "create_app",
    "create_key",
    "ingest_events",
    "make_engine",
    "parse_event",
    "rebuild_projections",
    "upgrade",
]


def __getattr__(name: str) -> object:
    # The web app pulls in FastAPI; import it only when asked for.
    if name == "create_app":
        from warmline.app import create_app

        return create_app
    raise AttributeError(name)
