"""A TCP listener on loopback that counts the connections made to it and answers none: the address a stored token
must never reach (a host an attacker re-targets a config to, a proxy nobody configured)."""

from __future__ import annotations

import socket
import threading


class CountingListener:
    """Counts connections (``connections``) and, with ``read=True``, the bytes each one sent first (``received``),
    then closes them."""

    def __init__(self, *, read: bool = False) -> None:
        self.read = read
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.received = 0  # bytes sent to it (read=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            if self.read:
                conn.settimeout(0.5)
                try:
                    self.received += len(conn.recv(65536))
                except OSError:
                    pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
