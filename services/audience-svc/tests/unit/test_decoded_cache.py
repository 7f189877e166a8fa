"""The replica's cache of decoded shards is bounded, least recently used out (issue 17 #14)."""

from audience_svc.decoded_cache import DecodedCache


def test_the_least_recently_used_entries_leave_once_past_the_bound() -> None:
    cache = DecodedCache(max_bytes=100)
    for name in "abc":
        cache.put(name, {"shard": name}, 40)

    assert "a" not in cache and cache.bytes == 80  # a left for c
    assert cache.get("b") == {"shard": "b"}  # b is now the most recent
    cache.put("d", {"shard": "d"}, 40)

    assert "c" not in cache and "b" in cache and "d" in cache
    assert cache.bytes == 80 and len(cache) == 2


def test_an_entry_larger_than_the_bound_stays_alone_and_a_put_replaces() -> None:
    cache = DecodedCache(max_bytes=100)
    cache.put("a", 1, 30)
    cache.put("a", 2, 50)
    cache.put("huge", 3, 500)

    assert len(cache) == 1 and cache.get("huge") == 3 and cache.bytes == 500
    cache.pop("huge")
    assert cache.bytes == 0 and cache.get("huge") is None
