"""The sandbox's users are built on demand behind a small cache the server's threads share: reading them from many
threads at once never fails (an entry evicted between a lookup and its move to the end once gave a 500 in a
100,000-user benchmark)."""

from __future__ import annotations

import random
import threading

from okta_sandbox.users import LazyUsers


def test_many_threads_read_through_a_small_cache():
    users = LazyUsers(2_000, seed=1, anchor_ms=1_764_345_600_000, cache_size=4)
    errors: list[BaseException] = []

    def read(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(5_000):
                i = rng.randrange(8)  # a few hot users, so lookups and evictions of the same key interleave
                assert users[i]["id"] == users.id_of(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
