"""Closing the store's SQLite connection of a thread that ends: a request's, or a background sync's."""

from __future__ import annotations

from ..store import Store


def release_thread_connection(store: Store) -> None:
    """Close the store connection of the calling thread.

    The store keeps one SQLite connection per thread; the web server runs each request on a new thread, so
    without this every request would leave a connection (and its file descriptors) open until shutdown.
    """
    release = getattr(store, "release_thread_connection", None)
    if callable(release):
        release()
        return
    local = getattr(store, "_local", None)
    conn = getattr(local, "conn", None)
    if conn is None:
        return
    with store._conns_lock:
        if conn in store._conns:
            store._conns.remove(conn)
    local.conn = None
    conn.close()
