"""The deploy/ manifests: each service has its Kubernetes objects; kustomize sees every file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
GRPC_PORTS = {
    "marketdata": 50051,
    "strategy": 50052,
    "risk": 50053,
    "execution": 50054,
    "portfolio": 50055,
    "ml": 50056,
}
SERVICES = [*GRPC_PORTS, "gateway"]


def _documents(folder: Path) -> list[dict[str, Any]]:
    return [
        document
        for path in sorted(folder.rglob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


@pytest.fixture(scope="module")
def base() -> dict[tuple[str, str], dict[str, Any]]:
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for document in _documents(K8S / "base"):
        if document["kind"] == "Kustomization":
            continue
        key = (document["kind"], document["metadata"]["name"])
        assert key not in objects, f"{key} defined twice"
        objects[key] = document
    return objects


def _container(base: dict[tuple[str, str], dict[str, Any]], name: str) -> dict[str, Any]:
    containers = base[("Deployment", name)]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_every_yaml_file_parses() -> None:
    for path in sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml")):
        assert list(yaml.safe_load_all(path.read_text())), path


@pytest.mark.parametrize("name", SERVICES)
class TestEachService:
    def test_has_a_deployment_service_account_service_and_hpa_of_its_name(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        for kind in ("Deployment", "ServiceAccount", "Service", "HorizontalPodAutoscaler"):
            assert (kind, name) in base, f"{kind} {name} missing"

    def test_deployment_runs_the_service_module_as_its_account(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        pod = base[("Deployment", name)]["spec"]["template"]["spec"]

        assert pod["serviceAccountName"] == name
        assert _container(base, name)["command"] == ["python", "-m", f"crypto_trader.{name}"]

    def test_selector_matches_the_pods_and_the_service(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        deployment = base[("Deployment", name)]["spec"]
        selector = deployment["selector"]["matchLabels"]

        assert selector.items() <= deployment["template"]["metadata"]["labels"].items()
        assert base[("Service", name)]["spec"]["selector"] == selector

    def test_probes_check_health_on_the_service_port(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        container = _container(base, name)
        for probe in ("readinessProbe", "livenessProbe"):
            if name == "gateway":
                assert container[probe]["httpGet"] == {"path": "/api/v1/health", "port": "http"}
            else:
                assert container[probe]["grpc"] == {"port": GRPC_PORTS[name]}

    def test_listens_on_all_interfaces_and_loads_config_and_secret(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        container = _container(base, name)
        env = _env(container)
        sources = [next(iter(source.values()))["name"] for source in container["envFrom"]]

        if name == "gateway":
            assert (env["CT_GATEWAY_HOST"], env["CT_GATEWAY_PORT"]) == ("0.0.0.0", "8000")
        else:
            assert env[f"CT_{name.upper()}_GRPC_HOST"] == "0.0.0.0"
            assert env[f"CT_{name.upper()}_GRPC_PORT"] == str(GRPC_PORTS[name])
        assert sources == ["crypto-trader-config", "crypto-trader-infra"]
        assert ("Secret", "crypto-trader-infra") not in base  # created outside the repository

    def test_has_resource_requests_and_limits(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        resources = _container(base, name)["resources"]

        assert set(resources["requests"]) == {"cpu", "memory"}
        assert set(resources["limits"]) == {"cpu", "memory"}

    def test_hpa_scales_the_deployment_on_cpu(
        self, base: dict[tuple[str, str], dict[str, Any]], name: str
    ) -> None:
        hpa = base[("HorizontalPodAutoscaler", name)]

        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_services_find_each_other_through_cluster_dns(
    base: dict[tuple[str, str], dict[str, Any]],
) -> None:
    config = base[("ConfigMap", "crypto-trader-config")]["data"]

    for name, port in GRPC_PORTS.items():
        assert config[f"CT_{name.upper()}_ADDR"] == f"{name}:{port}"
        assert base[("Service", name)]["spec"]["ports"][0]["port"] == port


def test_the_worker_runs_from_the_strategy_image(
    base: dict[tuple[str, str], dict[str, Any]],
) -> None:
    container = _container(base, "strategy-worker")

    assert container["command"] == ["python", "-m", "crypto_trader.strategy.worker"]
    assert container["image"] == "crypto-trader-strategy"


@pytest.mark.parametrize(
    "folder", [K8S / "base", K8S / "overlays" / "dev", K8S / "overlays" / "prod"], ids=str
)
def test_kustomization_lists_every_file_in_its_folder(folder: Path) -> None:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = {
        entry for entry in kustomization.get("resources", []) if not entry.startswith("..")
    } | {patch["path"] for patch in kustomization.get("patches", [])}

    files = {path.name for path in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_overlays_set_replicas_and_image_tags_of_every_service(overlay: str) -> None:
    kustomization = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())

    assert "../../base" in kustomization["resources"]
    assert {item["name"] for item in kustomization["replicas"]} == {*SERVICES, "strategy-worker"}
    images = {item["name"]: item for item in kustomization["images"]}
    assert set(images) == {f"crypto-trader-{name}" for name in SERVICES}
    assert all(item.get("newTag") for item in images.values())


def test_compose_runs_infrastructure_and_every_service() -> None:
    compose = yaml.safe_load((DEPLOY / "docker" / "docker-compose.yml").read_text())
    services = compose["services"]

    assert {"nats", "postgres", "redis", *SERVICES, "strategy-worker"} <= set(services)
    assert "-js" in services["nats"]["command"]
    assert services["gateway"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in [*SERVICES, "strategy-worker"]:
        env = services[name]["environment"]
        assert env["CT_NATS_URL"] == "nats://nats:4222"
        assert env["CT_REDIS_URL"] == "redis://redis:6379/0"
        assert env["CT_DATABASE_URL"].startswith("postgresql://")
        assert env["CT_RISK_ADDR"] == "risk:50053"
    for name in GRPC_PORTS:
        build = services[name]["build"]
        assert build["args"] == {"SERVICE": name}
        assert services[name]["environment"][f"CT_{name.upper()}_GRPC_HOST"] == "0.0.0.0"


def test_dockerfile_installs_one_service_and_runs_it_unprivileged() -> None:
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()

    assert "ARG SERVICE" in dockerfile
    assert "FROM python:3.11-slim" in dockerfile
    assert "COPY services/${SERVICE} services/${SERVICE}" in dockerfile
    assert "ENV SERVICE_MODULE=crypto_trader.${SERVICE}" in dockerfile
    assert "USER 10001" in dockerfile
    assert (DEPLOY / "docker" / "Dockerfile.dockerignore").is_file()
