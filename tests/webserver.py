"""`pmkg serve` as a real process (uvicorn) on 127.0.0.1 and a free port, for the web and browser tests."""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pmkg.server import free_port


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    first_lines: list[str]


@contextlib.contextmanager
def serving(root: Path, site: Path, *extra: str) -> Iterator[Served]:
    """Start `pmkg serve`, wait for its endpoint lines, stop it with SIGTERM afterwards (its exit code is kept)."""
    port = free_port()
    pmkg = Path(sys.executable).parent / "pmkg"
    proc = subprocess.Popen([str(pmkg), "serve", "--port", str(port), "--bind", "127.0.0.1", "--root", str(root),
                             "--site", str(site), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()
    try:
        first = [lines.get(timeout=300), lines.get(timeout=60)]  # guards against a hung start, not measurements
        yield Served(f"http://127.0.0.1:{port}", proc, first)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
