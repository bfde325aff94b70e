"""`yiwang serve` runs the production server: it answers /healthz and /readyz and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

YIWANG = Path(sys.executable).with_name("yiwang")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.skipif(not YIWANG.exists(), reason="the yiwang console script is not installed")
def test_serve_answers_health_checks_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "YIWANG_DATA_DIR": str(tmp_path), "YIWANG_SECRET_KEY": "test-only-secret"}
    server = subprocess.Popen(
        [str(YIWANG), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60  # generous: CI runs this beside other tests on 2 cores
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.1)
        assert status == 200 and b'"ok"' in body
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200 and b'"ready"' in body
        assert (tmp_path / "static").is_dir()  # collectstatic ran first
    finally:
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    output = server.stdout.read().decode() if server.stdout else ""
    assert code == 0, output
    assert f"http://127.0.0.1:{port}/" in output
