"""A small in-process cache for page parts many requests share, e.g. the chain of a batch
that a million unit labels point to. Entries live `ttl` seconds, the least recently used
go first when it is full; a `ttl` of 0 turns it off. Thread-safe for threaded servers;
each worker process keeps its own."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

T = TypeVar("T")


class Fragments(Generic[T]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, ttl: float, make: Callable[[], T], now: float) -> T:
        """The live entry of `key`, or what `make` gives (kept for `ttl` seconds)."""
        if ttl <= 0:
            return make()
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] > now:
                self._items.move_to_end(key)
                return found[1]
        value = make()  # outside the lock: two requests may both make it, once
        with self._lock:
            self._items[key] = (now + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def drop(self, key: Hashable) -> None:
        """Forget `key`'s entry, if any."""
        with self._lock:
            self._items.pop(key, None)
