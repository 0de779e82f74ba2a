"""How the fleet script learns when an edge serves a generation, without loading the edges: a minimal Redis
client (RESP2 over one socket), keyspace notifications of the edges' acknowledgement hashes, and, as the
alternative, a poller of each edge's `/updates`."""
from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time

from projection import _plugin_body

PREFIX = "capgo:edge:"
APP = "com.scale.app0000"


class Resp:
    """The least of a Redis client: one connection, RESP2 commands and replies."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def send(self, *args) -> None:
        out = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out += [f"${len(data)}\r\n".encode(), data, b"\r\n"]
        self.sock.sendall(b"".join(out))

    def read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2].decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def command(self, *args):
        self.send(*args)
        return self.read()

    def close(self) -> None:
        self.sock.close()


class AckListener(threading.Thread):
    """Keyspace notifications of the edges' acknowledgement hashes: (monotonic time, edge name) per write."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.events: queue.Queue[tuple[float, str]] = queue.Queue()
        self._head = f"__keyspace@0__:{PREFIX}edge:"
        self._conn = Resp(port)
        self._conn.command("PSUBSCRIBE", self._head + "*:apps")

    def run(self) -> None:
        while True:
            try:
                message = self._conn.read()
            except (OSError, ConnectionError, ValueError):
                return
            now = time.monotonic()
            if isinstance(message, list) and message[0] == "pmessage" and message[3] == "hset":
                self.events.put((now, message[2][len(self._head):-len(":apps")]))

    def drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    def close(self) -> None:
        self._conn.close()


class HttpProbe:
    """Polls each edge's /updates on a kept-alive connection and reads x-capgo-generation."""

    def __init__(self, edges: list):
        self._connections = {e.name: http.client.HTTPConnection("127.0.0.1", e.http_port, timeout=5) for e in edges}
        self._body = json.dumps(_plugin_body(APP, "00009a6b-eefe-490a-9c60-8e965132ae51", "1.0.0", "1.0.0", "android")).encode()

    def generation(self, name: str) -> str | None:
        connection = self._connections[name]
        connection.request("POST", "/updates", self._body, {"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.getheader("x-capgo-generation")
