"""The page-part cache: entries live their ttl, the least recently used leave first."""

from __future__ import annotations

from registry.public.fragments import Fragments


def test_entries_expire_and_the_oldest_leave_first() -> None:
    cache: Fragments[str] = Fragments(2)
    made: list[str] = []

    def make(value: str):  # type: ignore[no-untyped-def]
        return lambda: made.append(value) or value

    assert cache.get("a", 10, make("a1"), now=0) == "a1"
    assert cache.get("a", 10, make("a2"), now=5) == "a1"  # alive
    assert cache.get("a", 10, make("a3"), now=11) == "a3"  # expired
    cache.get("b", 10, make("b1"), now=11)
    cache.get("a", 10, make("a4"), now=12)  # a is the most recent now
    cache.get("c", 10, make("c1"), now=12)  # b leaves
    assert cache.get("b", 10, make("b2"), now=12) == "b2"
    assert cache.get("x", 0, make("x1"), now=0) == "x1" and cache.get("x", 0, make("x2"), 0) == "x2"
    assert made == ["a1", "a3", "b1", "c1", "b2", "x1", "x2"]
