"""deploy/: the compose file and Dockerfiles checked without Docker (it cannot run on CI machines here).

The compose file is parsed as YAML and checked for what `docker compose` would need: every service has
an image or a build with an existing Dockerfile, a healthcheck (or is a one-shot init job), dependencies
on services that exist, named volumes that are declared; and its FACESWAP_* environment is accepted by
the real ``Settings``. Not checked: that images build and containers start (no Docker here).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from faceswap.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_has_api_worker_redis_and_s3_with_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"api", "worker", "redis", "s3"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if service.get("restart") != "no":  # one-shot init jobs have no healthcheck
            test = service["healthcheck"]["test"]
            assert test[0] in ("CMD", "CMD-SHELL"), name
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] in (
                "service_healthy",
                "service_started",
                "service_completed_successfully",
            )
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name}: volume {source} is not declared"
        for config in service.get("configs", []):
            assert config["source"] in compose["configs"]
    assert services["worker"]["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_compose_builds_from_existing_dockerfiles(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        build = compose["services"][name]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).is_file()


def test_compose_environment_is_valid_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("api", "worker"):
        env = compose["services"][name]["environment"]
        for key, value in env.items():
            if key.startswith("FACESWAP_"):
                resolved = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
                monkeypatch.setenv(key, resolved)
        settings = Settings()
        assert settings.queue.url == "redis://redis:6379/0"
        assert settings.storage.url.startswith("s3://faceswap/")
        assert settings.limits.max_bytes == 200 * 1024 * 1024


def test_dockerfiles_install_extras_that_exist() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for dockerfile in ("Dockerfile.api", "Dockerfile.worker"):
        text = (DEPLOY / dockerfile).read_text()
        installed = re.search(r'pip install "\.\[([a-z,]+)\]"', text)
        assert installed is not None, dockerfile
        assert set(installed.group(1).split(",")) <= set(extras)
        for copied in re.findall(r"^COPY (\S+)", text, flags=re.M):
            assert (ROOT / copied).exists(), f"{dockerfile} copies missing {copied}"
    assert "onnxruntime-gpu" in (DEPLOY / "Dockerfile.worker").read_text()
    assert '--workers", "0"' in (DEPLOY / "Dockerfile.api").read_text()


def test_only_the_load_balancer_publishes_a_port_so_the_api_scales(compose: dict[str, Any]) -> None:
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"lb"}  # `--scale api=N` cannot collide on a host port
    assert services["lb"]["ports"] == ["8000:8000"]
    assert "8000" in [str(port) for port in services["api"]["expose"]]
    caddyfile = compose["configs"]["caddyfile"]["content"]
    # every replica Docker's DNS knows under `api`, looked up again as replicas come and go
    assert re.search(r"dynamic a \{\s*name api\s*port 8000", caddyfile)
    assert "flush_interval -1" in caddyfile  # server-sent events pass through unbuffered


def test_results_are_downloaded_through_the_api_not_from_the_internal_s3(compose: dict[str, Any]) -> None:
    env = compose["services"]["api"]["environment"]
    assert env["FACESWAP_STORAGE__DOWNLOADS"] == "api"
    assert "s3:8333" in env["FACESWAP_STORAGE__URL"]  # a name only containers resolve
    assert "ports" not in compose["services"]["s3"]


def test_the_worker_image_owns_its_models_folder() -> None:
    text = (DEPLOY / "Dockerfile.worker").read_text()
    # a new named volume mounted at /data/models copies the image's folder and its owner
    assert "mkdir -p /data/models" in text
    assert "chown -R faceswap /data" in text
    assert text.index("chown -R faceswap /data") < text.index("USER faceswap")


def test_the_api_image_leaves_the_engine_out_and_the_worker_image_has_it() -> None:
    def extras(dockerfile: str) -> set[str]:
        found = re.search(r'pip install "\.\[([a-z,]+)\]"', (DEPLOY / dockerfile).read_text())
        assert found is not None
        return set(found.group(1).split(","))

    assert "engine" not in extras("Dockerfile.api")
    assert {"engine", "service"} <= extras("Dockerfile.worker")
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    heavy = ("onnxruntime", "opencv", "av>", "dlib", "onnx>")
    assert not [dep for dep in core if dep.startswith(heavy)]


def test_docker_compose_accepts_the_file() -> None:
    import shutil
    import subprocess

    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], check=False, capture_output=True).returncode != 0
    ):
        pytest.skip("docker compose is not installed here; the file is checked by the tests above")
    checked = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
