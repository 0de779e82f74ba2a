"""A local Redis Cluster for the load scripts: 3 masters and 3 replicas, every process ours. Python 3 standard library only."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from common import free_ports  # noqa: E402


def cli(*args: str) -> tuple[int, str]:
    """redis-cli, its exit code and output."""
    done = subprocess.run(["redis-cli", *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


class Cluster:
    """3 masters + 3 replicas on free loopback ports, no persistence, node timeout 1 s; every process ours."""

    def __init__(self, results: Path):
        ports = free_ports(12)
        self.ports, self.bus = ports[:6], ports[6:]
        self.dir = Path(tempfile.mkdtemp(prefix="capgo-cluster-"))
        self.logs = results
        self.processes: dict[int, subprocess.Popen] = {}

    @property
    def connection(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports) + ",abortConnect=false"

    def start(self) -> None:
        for port, bus in zip(self.ports, self.bus):
            self.processes[port] = subprocess.Popen(
                ["redis-server", "--port", str(port), "--cluster-port", str(bus), "--bind", "127.0.0.1", "--protected-mode", "no",
                 "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf", "--cluster-node-timeout", "1000",
                 "--repl-diskless-sync-delay", "0", "--save", "", "--appendonly", "no", "--dir", str(self.dir),
                 "--logfile", str(self.logs / f"redis-{port}.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in self.ports:
            self._until(lambda p=port: cli("-p", str(p), "ping")[1].strip() == "PONG", f"redis-server on {port}", 10)
        code, output = cli("--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports), "--cluster-replicas", "1", "--cluster-yes")
        if code != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {output}")
        for port in self.ports:
            self._until(lambda p=port: "cluster_state:ok" in cli("-p", str(p), "cluster", "info")[1], f"cluster_state:ok on {port}", 30)
            # A replica that has not finished its first sync cannot take over.
            self._until(lambda p=port: any(s in cli("-p", str(p), "info", "replication")[1] for s in ("role:master", "master_link_status:up")),
                        f"the first sync of {port}", 30)

    def slot(self, key: str) -> int:
        return int(cli("-p", str(self.live()[0]), "cluster", "keyslot", key)[1].strip())

    def live(self) -> list[int]:
        return [p for p, process in self.processes.items() if process.poll() is None]

    def master_of(self, slot: int) -> int | None:
        for port in self.live():
            code, output = cli("-p", str(port), "cluster", "nodes")
            if code != 0:
                continue
            for line in output.splitlines():
                parts = line.split()
                if len(parts) > 8 and "master" in parts[2] and "fail" not in parts[2]:
                    for r in parts[8:]:
                        if r.startswith("["):
                            continue
                        first, _, last = r.partition("-")
                        if int(first) <= slot <= int(last or first):
                            return int(parts[1].split("@")[0].split(":")[1])
        return None

    def masters(self) -> set[int]:
        return {m for s in (0, 8192, 16383) if (m := self.master_of(s)) is not None}

    def ok(self) -> bool:
        return "cluster_state:ok" in cli("-p", str(self.live()[0]), "cluster", "info")[1]

    def kill(self, port: int) -> None:
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    @staticmethod
    def _until(condition, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout} s: {what}")
            time.sleep(0.05)
