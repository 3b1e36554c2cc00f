"""docker-compose.yml runs the whole product: checked as docker-compose itself reads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def resolved() -> dict[str, Any]:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose not installed (.ci/run installs it)")
    out = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    config: dict[str, Any] = yaml.safe_load(out.stdout)
    return config


def test_every_product_service_is_there_with_url_restart_and_health_check() -> None:
    services = resolved()["services"]
    ours = {name: s for name, s in services.items() if "build" in s}
    assert set(ours) == {"migrate", "poller", "worker", "scheduler", "web"}
    assert ours["scheduler"]["command"] == ["scheduler"]
    for name, service in ours.items():
        assert service["environment"]["COMPLAINTS_PUBLIC_URL"].startswith("http"), name
        assert service["environment"]["COMPLAINTS_REDIS_URL"].startswith("redis://"), name
    for name, service in services.items():
        if name != "migrate":
            assert service["restart"] == "unless-stopped", name
        if name not in ("migrate", "mail"):  # mail: the development server, replaced in use
            assert "healthcheck" in service, name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["poller"]["healthcheck"]["test"] == ["CMD", "complaints", "status"]
    assert services["migrate"]["restart"] == "no"
