"""What the load scripts share: the log line, the concurrency, /proc readings, CPU pinning, the edge process and
the control-plane service's."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVICE = "/capgo.edge.v1.UpdateService"

# In-flight requests: the same for both transports and for check and echo.
GRPC_PROCESSES = 4  # one h2load per distinct gRPC body (h2load sends one data file per run)
GRPC_CONNECTIONS = 2  # per h2load process
GRPC_STREAMS = 8  # concurrent streams per connection
WRK_CONNECTIONS = GRPC_PROCESSES * GRPC_CONNECTIONS * GRPC_STREAMS
WRK_THREADS = 1


def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Process statistics


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss(pid: int) -> bool:
    """Resets VmHWM so the next reading is the peak of one scenario (Linux clear_refs 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# CPUs, ports and the edge


def cpu_split(pin: bool = True) -> tuple[str | None, str | None]:
    """(server CPU, load generator CPU): 1 and 0 on a machine with ≥ 2 CPUs and taskset, else no pinning."""
    two_cores = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None and pin
    return ("1", "0") if two_cores else (None, None)


def pinned(cpu: str | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command] if cpu is not None else command


def free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def stop_process(process: subprocess.Popen, log) -> None:
    """SIGTERM (a graceful stop, as an orchestrator sends), SIGKILL after 10 s; then closes its log."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class Edge:
    """The server process: started here, stopped here, by its own pid."""

    def __init__(self, binary: Path, projection: Path, results: Path, cpu: str | None, redis: str | None = None,
                 extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None):
        self.http_port, self.grpc_port = free_ports(2)
        self.log_path = results / "server.log"
        source = f"--ConnectionStrings:Redis={redis}" if redis else f"--Projection:Directory={projection}"
        args = [
            str(binary),
            f"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{self.http_port}",
            f"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{self.grpc_port}",
            source,
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
            *(extra_args or []),
        ]
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", ASPNETCORE_ENVIRONMENT="Production", **(extra_env or {}))
        self.process = subprocess.Popen(pinned(cpu, args), stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.process.pid  # taskset execs the server: same pid

    def wait_ready(self, timeout: float) -> float:
        start = time.monotonic()
        url = f"http://127.0.0.1:{self.http_port}/healthz/ready"
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the edge exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the edge was not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        stop_process(self.process, self._log)


class ControlPlane:
    """One control-plane service (`dotnet Capgo.Edge.ControlPlane.Service.dll`) consuming the edge's event stream
    on the harness's Redis: started here, stopped here, by its own pid. It shares the load generators' CPU: in
    production it runs on another host, and here it must not take the edge's."""

    def __init__(self, dll: Path, redis: str, results: Path, cpu: str | None):
        self.port = free_ports(1)[0]
        self.log_path = results / "control-plane.log"
        args = ["dotnet", str(dll), f"--ConnectionStrings:Redis={redis}",
                f"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{self.port}", "--Logging:LogLevel:Default=Warning"]
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1")
        self.process = subprocess.Popen(pinned(cpu, args), stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.process.pid

    def lag(self) -> int | None:
        """`capgo_controlplane_consumer_lag` from the service's /metrics: stream entries its group has not read."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as response:
                for line in response.read().decode().splitlines():
                    if line.startswith("capgo_controlplane_consumer_lag"):
                        return int(float(line.split("}")[-1].split()[0]))
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        return None

    def wait_ready(self, timeout: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the control-plane service exited with {self.process.returncode}; see {self.log_path}")
            if self.lag() is not None:
                return time.monotonic() - start
            time.sleep(0.1)
        raise RuntimeError(f"the control-plane service did not answer /metrics after {timeout}s; see {self.log_path}")

    def caught_up(self, limit: float) -> float:
        """Waits until the consumer has read everything the edge wrote (lag 0), at most `limit` seconds."""
        start = time.monotonic()
        while time.monotonic() - start < limit and self.lag() != 0:
            time.sleep(0.2)
        return time.monotonic() - start

    def stop(self) -> None:
        stop_process(self.process, self._log)
