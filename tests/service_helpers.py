"""Running the real service as a subprocess: start it, read its log lines, ask its HTTP endpoints.

Timings are generous on purpose (a loaded 2-core machine): every wait polls until a deadline and
no test asserts how long something took.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support import install_connector

#: How long any one wait may take before the test fails.
PATIENCE = 60.0

FAKE_TRACKER = textwrap.dedent(
    '''
    """A test tracker: the local tracker, steered by files in $FAKE_TRACKER_DIR.

    ``mode`` holds ``ok``, ``fail`` or ``slow SECONDS``; every states() call appends a line to
    ``calls``. A failure's message quotes $GITHUB_TOKEN, like a careless connector would.
    """
    import os
    import time
    from pathlib import Path

    from remediate.errors import Unavailable
    from remediate.local import LocalTracker


    class FakeTracker(LocalTracker):
        name = "fake"

        def states(self, refs, since):
            folder = Path(os.environ["FAKE_TRACKER_DIR"])
            with open(folder / "calls", "a") as calls:
                calls.write(f"{time.time()} {os.getpid()}\\n")
            mode = (folder / "mode").read_text().split() if (folder / "mode").exists() else ["ok"]
            if mode[0] == "fail":
                raise Unavailable(f"tracker down (sent token {os.environ.get('GITHUB_TOKEN')})", tracker="fake")
            if mode[0] == "slow":
                time.sleep(float(mode[1]))
            yield from super().states(refs, since)

        def check(self):
            """doctor's live check: it fails (or stalls) as states() does."""
            list(self.states([], None))
            return super().check()
    '''
)


def install_fake_tracker(root: Path) -> Path:
    """Install the ``fake`` connector as a plugin (module + dist-info) under ``root``."""
    return install_connector(root, "fake", FAKE_TRACKER, "FakeTracker")


def write_config(
    path: Path,
    database_url: str,
    *,
    every: str = "1s",
    tracker: str = "local",
    extra: str = "",
    digest: str | None = None,
) -> Path:
    """A config with a fast status sync; the digest off, or every second to channel ``digest``."""
    digest_table = f'enabled = true\nevery = "1s"\nchannel = "{digest}"\n' if digest else "enabled = false\n"
    path.write_text(
        f'database_url = "{database_url}"\ntracker = "{tracker}"\n\n'
        f"[schedule]\nmisfire_grace_time = 3600\n\n"
        f'[schedule.refresh]\nevery = "{every}"\n\n[schedule.digest]\n{digest_table}{extra}'
    )
    return path


def remediate(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI to completion."""
    return subprocess.run(
        [sys.executable, "-m", "remediate", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


class ServiceProcess:
    """One ``remediate schedule`` subprocess, its log file and its HTTP port."""

    def __init__(
        self, config: Path, log: Path, *, args: Sequence[str] = ("--http", "0"), env: dict[str, str] | None = None
    ) -> None:
        self.log = log
        self._log_file = open(log, "w")  # noqa: SIM115 (closed in wait/stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "remediate", "schedule", "--config", str(config), *args],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            env=env or dict(os.environ),
        )

    # --- logs ---------------------------------------------------------------------------------

    def lines(self) -> list[str]:
        """Every log line so far."""
        return self.log.read_text().splitlines()

    def events(self, name: str | None = None) -> list[dict[str, str]]:
        """Log lines parsed as key=value, optionally only one event."""
        parsed = [parse_logfmt(line) for line in self.lines()]
        return [e for e in parsed if name is None or e.get("event") == name]

    def wait_for(self, event: str, *, count: int = 1, timeout: float = PATIENCE, **match: str) -> list[dict[str, str]]:
        """Wait until ``count`` lines of ``event`` (with the given fields) were logged."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events(event) if all(e.get(k) == v for k, v in match.items())]
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited ({self.proc.returncode}) before {event}:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count}x {event} within {timeout}s:\n{self.log.read_text()}")
            time.sleep(0.1)

    # --- HTTP ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the service listens on (it logs the one it got for --http 0)."""
        return int(self.wait_for("http_listening")[0]["port"])

    def get(self, path: str) -> tuple[int, str]:
        """GET a path of the service; (status, body) for 2xx and error statuses alike."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def health(self) -> tuple[int, dict[str, Any]]:
        """``/healthz`` as (status, JSON body)."""
        status, body = self.get("/healthz")
        return status, json.loads(body)

    # --- stopping -----------------------------------------------------------------------------

    def signal(self, signum: int) -> None:
        """Send a signal to the service."""
        self.proc.send_signal(signum)

    def wait(self, timeout: float = PATIENCE) -> int:
        """Wait for the process to exit; its exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log_file.close()

    def stop(self) -> int:
        """SIGTERM and wait."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait()

    def kill(self) -> None:
        """SIGKILL and reap (cleanup after a failed test)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()


_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line: str) -> dict[str, str]:
    """One key=value log line as a dict (quoted values unquoted)."""
    out = {}
    for key, value in _PAIR.findall(line):
        out[key] = json.loads(value) if value.startswith('"') else value
    return out
