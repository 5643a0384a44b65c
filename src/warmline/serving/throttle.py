"""Failed authentication is rate-limited per client address: guessing keys gets slow fast.

After ``limit`` failures within ``window`` seconds from one address, every request
from it that presents a key is refused with 429 until the window has passed, even
with a good key (so a guesser learns nothing from timing the refusals).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from warmline.errors import TooManyFailures


class FailureThrottle:
    """Counts failed authentications per address in a sliding window (in memory)."""

    def __init__(self, limit: int = 20, window: float = 60.0, max_addresses: int = 10_000) -> None:
        self.limit, self.window, self.max_addresses = limit, window, max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise :class:`TooManyFailures` while ``address`` is over its limit."""
        now = time.monotonic()
        with self._lock:
            recent = self._failures.get(address)
            if recent is None:
                return
            while recent and now - recent[0] > self.window:
                recent.popleft()
            if not recent:
                del self._failures[address]
                return
            if len(recent) >= self.limit:
                retry = int(self.window - (now - recent[0])) + 1
                raise TooManyFailures(
                    "too_many_failures",
                    f"too many failed sign-ins from this address; try again in {retry} s",
                    hint="check the key; an admin can create a new one with `warmline keys create`",
                    extra={"retry_after": retry},
                )

    def failed(self, address: str) -> None:
        with self._lock:
            if address not in self._failures and len(self._failures) >= self.max_addresses:
                self._failures.pop(next(iter(self._failures)))  # bounded memory: drop the oldest
            self._failures.setdefault(address, deque()).append(time.monotonic())
