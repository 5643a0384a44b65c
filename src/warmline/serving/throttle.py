"""Failed authentication is rate-limited per client address and key prefix: guessing keys
gets slow fast, and one person's typo does not lock out the room they share an address with.

Failures are counted in a sliding window (a minute) twice:

- per address *and* key prefix (the first 12 characters after ``wl_``): after ``limit``
  failures, keys beginning that way are refused with 429 from that address until the window
  has passed, even a good one (a guesser working on one prefix learns nothing from timing
  the refusals). Other keys from the same address (a colleague behind the same NAT) still
  work;
- per address alone, with a looser ceiling (``address_factor`` times ``limit``): a guesser who
  varies the prefix on every try escapes the first count, so past the ceiling every key from
  the address is refused.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from warmline.errors import TooManyFailures

#: Characters of a presented key (after ``wl_``) that name its throttling bucket.
PREFIX_CHARS = 12


def key_prefix(key: str) -> str:
    """The part of a presented key its failures are counted under."""
    body = key[3:] if key.startswith("wl_") else key
    return body[:PREFIX_CHARS]


class _Window:
    """Failure times per bucket in a sliding window, with bounded memory."""

    def __init__(self, window: float, max_buckets: int) -> None:
        self.window, self.max_buckets = window, max_buckets
        self.failures: dict[str, deque[float]] = {}

    def recent(self, bucket: str, now: float) -> deque[float] | None:
        times = self.failures.get(bucket)
        if times is None:
            return None
        while times and now - times[0] > self.window:
            times.popleft()
        if not times:
            del self.failures[bucket]
            return None
        return times

    def retry_after(self, bucket: str, limit: int, now: float) -> int | None:
        """Seconds until ``bucket`` is under ``limit`` again, or None if it is now."""
        times = self.recent(bucket, now)
        if times is None or len(times) < limit:
            return None
        # The bucket is under the limit again once its (len - limit + 1)th oldest failure
        # has left the window.
        return int(self.window - (now - times[len(times) - limit])) + 1

    def add(self, bucket: str, now: float) -> None:
        if bucket not in self.failures and len(self.failures) >= self.max_buckets:
            self.failures.pop(next(iter(self.failures)))  # bounded memory: drop the oldest
        self.failures.setdefault(bucket, deque()).append(now)


class FailureThrottle:
    """Counts failed authentications per address and key prefix, and per address (in memory)."""

    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        *,
        address_factor: int = 5,
        max_addresses: int = 10_000,
    ) -> None:
        self.limit, self.window = limit, window
        self.address_limit = limit * address_factor
        self._by_key = _Window(window, max_addresses * 5)
        self._by_address = _Window(window, max_addresses)
        self._lock = threading.Lock()

    def check(self, address: str, key: str) -> None:
        """Raise :class:`TooManyFailures` while ``key`` may not be tried from ``address``."""
        now = time.monotonic()
        with self._lock:
            everything = self._by_address.retry_after(address, self.address_limit, now)
            this_key = self._by_key.retry_after(_bucket(address, key), self.limit, now)
        if everything is not None:
            raise TooManyFailures(
                "too_many_failures_from_address",
                f"too many failed sign-ins from this address ({self.address_limit} within "
                f"{self.window:.0f} s, with many different keys): every key from it is refused "
                f"for {everything} s",
                hint="something at this address is trying keys that do not exist (a script "
                "with a wrong key, or someone guessing): stop it, then try again",
                extra={"retry_after": everything},
            )
        if this_key is not None:
            raise TooManyFailures(
                "too_many_failures",
                f"too many failed sign-ins with this key from this address ({self.limit} "
                f"within {self.window:.0f} s for keys beginning with the same "
                f"{PREFIX_CHARS} characters); try again in {this_key} s",
                hint="check the key for a typo; other keys still work from this address. "
                "An admin can create a new key with `warmline keys create`",
                extra={"retry_after": this_key},
            )

    def failed(self, address: str, key: str) -> None:
        """Count one failed authentication of ``key`` from ``address``."""
        now = time.monotonic()
        with self._lock:
            self._by_key.add(_bucket(address, key), now)
            self._by_address.add(address, now)


def _bucket(address: str, key: str) -> str:
    return f"{address} {key_prefix(key)}"
