"""A real hub for the federated sign-in tests: a second `yiwang runserver` process on loopback with its own
SQLite database, data folder (field key, OIDC signing key) and SMS outbox. The migrated database is built
once per set of migration files and copied, so a test session pays for `migrate` only when they change.

Import the fixture into a test module: ``from federation.federation_sso_hub import hub_fixture  # noqa: F401`` (fixture name: ``hub``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
HUB_CODE = "100000"
HUB_NAME = "国家政务服务平台"
NODE_CODE = "330100"
NODE_NAME = "杭州市政务服务平台"
CLIENT_SECRET = "hub-client-secret-for-federation-tests-0123"
PASSWORD = "Zheshi-Yige-Mima-2024"
# The node exercised in-process answers at this loopback address; the hub allows any port on 127.0.0.1
# (RFC 8252), so the browser test's live server matches it too.
NODE_URL = "http://127.0.0.1:8765"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hub_env(workdir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YIWANG_", "DATABASE_URL", "REDIS_URL", "DJANGO_", "PYTEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="yiwang.settings",
        PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO / 'tests'}",
        YIWANG_DATA_DIR=str(workdir / "data"),
        YIWANG_SQLITE_PATH=str(workdir / "hub.sqlite3"),
        YIWANG_NODE_CODE=HUB_CODE,
        YIWANG_NODE_NAME=HUB_NAME,
        YIWANG_NODE_ROLE="hub",
        YIWANG_NODE_URL=f"http://127.0.0.1:{port}",
        YIWANG_SMS_GATEWAY="file",
        YIWANG_SMS_OUTBOX=str(workdir / "sms-outbox.log"),
        YIWANG_CACHE_PREFIX="fedsso-hub",
        YIWANG_LOG_LEVEL="WARNING",
    )
    return env


def _template_database(env: dict[str, str]) -> Path:
    """A migrated hub database, cached by the content of every migration file."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "src" / "yiwang").glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    template = Path(tempfile.gettempdir()) / f"yiwang-fedsso-hub-{digest.hexdigest()[:16]}.sqlite3"
    if not template.exists():
        scratch = template.with_suffix(f".{os.getpid()}.tmp")
        migrate_env = {**env, "YIWANG_SQLITE_PATH": str(scratch)}
        subprocess.run(
            [sys.executable, "-m", "yiwang.cli", "migrate", "--no-input", "-v0"],
            env=migrate_env,
            check=True,
            cwd=REPO,
        )
        scratch.replace(template)
    return template


SETUP_SCRIPT = """
import json, sys
import django
django.setup()
from accounts.identity_factories import make_person
from yiwang.federation import sso_trust
from yiwang.federation.models import NodeRole, Peer

spec = json.loads(sys.argv[1])
peer, _ = Peer.objects.update_or_create(
    code=spec["node_code"],
    defaults={"name": spec["node_name"], "role": NodeRole.NODE, "base_url": spec["node_url"],
              "public_hex": "11" * 64},
)
sso_trust.register_client(peer, redirect_uris=spec["redirect_uris"], client_secret=spec["secret"])
people = {}
for person in spec["people"]:
    user = make_person(level=person["level"], name=person["name"], phone=person["phone"],
                       resident_id=person["resident_id"])
    people[person["phone"]] = user.pk
print(json.dumps(people))
"""


@dataclass
class Hub:
    """The running hub: its address, folder and a way to add people and redirect URIs."""

    url: str
    workdir: Path
    env: dict[str, str]
    people: dict[str, int] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    @property
    def client_id(self) -> str:
        return f"yiwang-peer-{NODE_CODE}"

    @property
    def signing_key_pem(self) -> str:
        return (self.workdir / "data" / "oidc_rsa_private.pem").read_text()

    def setup(
        self, *, people: list[dict[str, Any]] = (), redirect_uris: list[str] | None = None
    ) -> dict[str, int]:  # type: ignore[assignment]
        """Register the node's client (and its redirect URIs) and create people, in the hub's database."""
        spec = {
            "node_code": NODE_CODE,
            "node_name": NODE_NAME,
            "node_url": NODE_URL,
            "redirect_uris": redirect_uris or [f"{NODE_URL}/federation/sso/callback/"],
            "secret": CLIENT_SECRET,
            "people": list(people),
        }
        result = subprocess.run(
            [sys.executable, "-c", SETUP_SCRIPT, json.dumps(spec)],
            env=self.env,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        created: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
        self.people.update(created)
        return created

    def sms_code(self, phone: str) -> str:
        from yiwang.accounts import sms

        code = sms.latest_code(phone, self.workdir / "sms-outbox.log")
        assert code, f"no SMS code sent to {phone}"
        return code

    def signed_in_browser(self, phone: str) -> requests.Session:
        """A person's browser, signed in at the hub with password and SMS code."""
        import re

        def csrf(html: str) -> str:
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
            assert match, html[:500]
            return match.group(1)

        browser = requests.Session()
        signin = f"{self.url}/account/signin/"
        page = browser.get(signin, timeout=10)
        response = browser.post(
            signin,
            data={"identifier": phone, "password": PASSWORD, "csrfmiddlewaretoken": csrf(page.text)},
            headers={"Referer": signin},
            timeout=10,
        )
        response = browser.post(
            f"{self.url}/account/signin/code/",
            data={"code": self.sms_code(phone), "csrfmiddlewaretoken": csrf(response.text)},
            headers={"Referer": f"{self.url}/account/signin/code/"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:500]
        return browser


@pytest.fixture(scope="session", name="hub")
def hub_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("hub")
    (workdir / "data").mkdir()
    port = _free_port()
    env = _hub_env(workdir, port)
    shutil.copyfile(_template_database(env), workdir / "hub.sqlite3")
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "yiwang.cli", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/o/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        hub = Hub(url=url, workdir=workdir, env=env)
        hub.setup()
        yield hub
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
