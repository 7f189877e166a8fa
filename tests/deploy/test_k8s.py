"""deploy/k8s: both overlays render offline, validate against Kubernetes' schemas, and hold
what a cluster operator relies on (probes, limits, non-root, autoscalers, budgets, only the
gateway and tracking's public routes reachable, every Secret key there, parts that start)."""

import base64
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from compose_kit import BUILD_SETTINGS, DEPLOY, SETTINGS_CLASSES

from reengage_common.auth import generate_signing_key
from reengage_common.settings import Settings

K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.33.0"
KUSTOMIZE_VERSION = "v5.5.0"  # a version current clusters run; schemas ship in the package
WORKERS_SCALED_ON_LAG = {"dispatch-worker": "dispatch-svc", "tracking-worker": "tracking-svc"}
APIS = {"campaign-svc", "audience-svc", "dispatch-svc", "tracking-svc"}
PUBLIC_PATHS = {"/u", "/b", "/webhooks"}


@cache
def kustomize() -> list[str]:
    """kubectl's built-in kustomize, a kustomize on PATH, or kustomize built once with Go from
    its module (KUSTOMIZE_VERSION, the one kubectl 1.32 embeds) into $REENGAGE_CACHE/bin."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    cache_bin = Path(os.environ.get("REENGAGE_CACHE") or Path.home() / ".cache/reengage") / "bin"
    built = cache_bin / f"kustomize-{KUSTOMIZE_VERSION}"
    if not built.exists():
        if not shutil.which("go"):
            pytest.fail("no kubectl, kustomize or go on PATH to render deploy/k8s")
        work = cache_bin / f".kustomize-{os.getpid()}"
        subprocess.run(
            ["go", "install", f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}"],
            env={**os.environ, "GOBIN": str(work)},
            check=True,
            capture_output=True,
            timeout=600,
        )
        (work / "kustomize").rename(built)
        work.rmdir()
    return [str(built), "build"]


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """`kustomize build` of an overlay."""
    command = [*kustomize(), str(K8S / overlay)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    return tuple(document for document in yaml.safe_load_all(output.stdout) if document)


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered(overlay) if d["kind"] == kind}


def ours(overlay: str) -> dict[str, dict[str, Any]]:
    """Our parts' Deployments (not the development overlay's Mailpit)."""
    return {
        name: deployment
        for name, deployment in of_kind(overlay, "Deployment").items()
        if deployment["metadata"]["labels"].get("app.kubernetes.io/part-of") == "reengage"
    }


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        if (
            expression["operator"] != "In"
            or labels.get(expression["key"]) not in expression["values"]
        ):
            return False
    return True


def secret_refs(overlay: str) -> set[tuple[str, str, bool]]:
    refs = set()
    for deployment in ours(overlay).values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"], bool(ref.get("optional"))))
    return refs


def config(overlay: str) -> dict[str, str]:
    (config_map,) = of_kind(overlay, "ConfigMap").values()
    return config_map["data"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_is_valid_for_kubernetes(overlay: str) -> None:
    for document in rendered(overlay):
        if document["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD; its fields are checked below
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{document['kind']}/{document['metadata']['name']}: {error.message}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes_limits_and_runs_as_nobody_special(overlay: str) -> None:
    for name, deployment in of_kind(overlay, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"], name
            assert container["readinessProbe"]["httpGet"]["path"], name
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, (name, bound)
            security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
            assert security["runAsNonRoot"] is True, name
            assert security.get("runAsUser", 1) != 0, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
    for name, deployment in ours(overlay).items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert "command" not in container, name  # the image's entrypoint runs
        assert container["args"][:2] == ["python", "-m"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_part_has_one_autoscaler_a_budget_and_apis_a_service(overlay: str) -> None:
    deployments = ours(overlay)
    hpas = of_kind(overlay, "HorizontalPodAutoscaler")
    scaled = of_kind(overlay, "ScaledObject")
    budgets = of_kind(overlay, "PodDisruptionBudget")
    services = of_kind(overlay, "Service")
    partitions = int(config(overlay)["KAFKA_PARTITIONS"])

    targets = [h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()]
    targets += [s["spec"]["scaleTargetRef"]["name"] for s in scaled.values()]
    assert sorted(targets) == sorted(deployments)
    assert set(scaled) == set(WORKERS_SCALED_ON_LAG)
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], name  # the autoscaler owns the count
        covering = [
            b for b in budgets.values() if matches(b["spec"]["selector"], pod_labels(deployment))
        ]
        assert len(covering) == 1, name
        if name in APIS or name == "gateway":
            assert matches(services[name]["spec"]["selector"], pod_labels(deployment)), name
    for name, autoscaler in hpas.items():
        if name.endswith("-worker"):  # more consumers than partitions would stand idle
            assert autoscaler["spec"]["maxReplicas"] <= partitions, name
    for name, group in WORKERS_SCALED_ON_LAG.items():
        spec = scaled[name]["spec"]
        kafka = next(t for t in spec["triggers"] if t["type"] == "kafka")["metadata"]
        assert (
            kafka["consumerGroup"] == Settings(service=group, kafka_topic_prefix="").group_id()
        ), name
        assert kafka["bootstrapServersFromEnv"] == "KAFKA_BOOTSTRAP_SERVERS", name
        assert int(kafka["lagThreshold"]) > 0, name
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= partitions, name


def test_production_spreads_the_consumers_over_24_partitions() -> None:
    production = config("prod")

    assert production["KAFKA_PARTITIONS"] == "24"
    assert production["KAFKA_REPLICATION_FACTOR"] == "3"
    assert of_kind("prod", "ScaledObject")["dispatch-worker"]["spec"]["maxReplicaCount"] == 24
    assert config("dev")["KAFKA_PARTITIONS"] == "3"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_exposes_only_the_gateway_and_trackings_public_routes(overlay: str) -> None:
    (ingress,) = of_kind(overlay, "Ingress").values()
    backends: dict[tuple[str, str], set[str]] = {}
    hosts: dict[tuple[str, str], str] = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            service = path["backend"]["service"]
            key = (service["name"], service["port"]["name"])
            backends.setdefault(key, set()).add(path["path"])
            hosts[key] = rule["host"]

    assert set(backends) == {("gateway", "http"), ("tracking-svc", "public")}
    assert backends[("tracking-svc", "public")] == PUBLIC_PATHS
    assert not any(
        p.startswith(("/metrics", "/readyz", "/healthz")) for p in backends[("gateway", "http")]
    )
    # patients' links lead to the host that routes them to tracking
    assert (
        urlsplit(config(overlay)["PUBLIC_BASE_URL"]).hostname == hosts[("tracking-svc", "public")]
    )
    public_port = next(
        p
        for p in of_kind(overlay, "Service")["tracking-svc"]["spec"]["ports"]
        if p["name"] == "public"
    )
    assert public_port["port"] == 8105


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_let_only_the_gateway_reach_the_services(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    deployments = ours(overlay)
    deny = policies["default-deny-ingress"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}

    for name, deployment in deployments.items():
        allowed: set[tuple[str, str]] = set()  # (who, port)
        for policy in policies.values():
            spec = policy["spec"]
            if not matches(spec["podSelector"], pod_labels(deployment)):
                continue
            for rule in spec.get("ingress", []):
                assert rule.get("from"), policy["metadata"]["name"]  # never "from anywhere"
                for peer in rule["from"]:
                    who = (
                        peer.get("podSelector", {})
                        .get("matchLabels", {})
                        .get("app.kubernetes.io/name")
                    )
                    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
                    source = namespace.get("kubernetes.io/metadata.name", "") + "/" + (who or "*")
                    allowed |= {(source, port["port"]) for port in rule["ports"]}
        expected = {("monitoring/prometheus", "http")}
        if name in APIS:
            expected.add(("/gateway", "http"))
        if name == "gateway":
            expected.add(("ingress-nginx/*", "http"))
        if name == "tracking-svc":
            expected.add(("ingress-nginx/*", "public"))
        assert allowed == expected, name


def test_every_secret_key_referenced_is_in_the_example_and_nothing_else() -> None:
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    refs = secret_refs("prod")

    assert {name for name, _, _ in refs} == {example["metadata"]["name"]}
    assert {key for _, key, _ in refs} == set(example["stringData"])
    # the development overlay generates every key it references
    (generated,) = of_kind("dev", "Secret").values()
    assert {key for _, key, _ in secret_refs("dev")} <= set(generated["data"])
    config_maps = set(of_kind("prod", "ConfigMap"))
    for deployment in ours("prod").values():
        for source in deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]:
            assert source["configMapRef"]["name"] in config_maps


def environment_of(
    overlay: str, deployment: dict[str, Any], secrets: dict[str, str]
) -> dict[str, str]:
    """A container's environment as the kubelet gives it: the ConfigMap, then its own env."""
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    environment = dict(config(overlay))
    for variable in container["env"]:
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        environment[variable["name"]] = secrets[ref["key"]] if ref else variable["value"]
    return environment


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_part_starts_with_what_its_pod_gets(overlay: str, tmp_path) -> None:
    if overlay == "prod":
        example = yaml.safe_load((K8S / "secret.example.yaml").read_text())["stringData"]
        # the example's placeholders, with a real key where the part parses one
        secrets = {**example, "JWT_PUBLIC_KEY": generate_signing_key("RS256").public_pem}
    else:
        (generated,) = of_kind("dev", "Secret").values()
        secrets = {k: base64.b64decode(v).decode() for k, v in generated["data"].items()}
    for name, deployment in ours(overlay).items():
        module = deployment["spec"]["template"]["spec"]["containers"][0]["args"][2]
        environment = environment_of(overlay, deployment, secrets)
        started = subprocess.run(
            [sys.executable, "-c", BUILD_SETTINGS, SETTINGS_CLASSES[module]],
            env={**environment, "PATH": os.environ["PATH"], "REENGAGE_CACHE": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert started.returncode == 0, (overlay, name, started.stderr[-2000:])
        mode, role, port, _ = started.stdout.split()
        assert mode == ("production" if overlay == "prod" else "development"), name
        assert role == environment.get("SERVICE_ROLE", "all"), name
        assert port == environment["PORT"], name
