"""Deployment files that follow the services/ folder, so a new service is deployed
everywhere the moment it exists:

- docker-compose.yml: the blocks between `# >>> generated: NAME` and `# <<< generated: NAME`
  (every API and worker; the NAHNETZ_URL_<SERVICE> of every API). The rest of the
  file (Kafka, Redis, topic-init, profiles) is written by hand.
- infra/prometheus/prometheus.yml: the scrape targets block.
- infra/kubernetes/services.yaml: entirely generated (a Deployment and Service per
  API, a Deployment per worker, the ConfigMap of service URLs).

    python -m nahnetz.stack.deployment            rewrite them from services/
    python -m nahnetz.stack.deployment --check    exit 1 naming what lags behind (the compose test)
    python -m nahnetz.stack.deployment topics     kafka-topics.sh commands for the registry, for ops

Why generated and committed rather than hand-written or rendered at deploy time:
the files stay plain, reviewable YAML that `docker compose` and `kubectl apply -k`
take as they are, while the entries of 15 processes cannot drift apart or be
forgotten; the test says when to re-run this.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from .config import DEFAULT_API_PORT_BASE, DEFAULT_WORKER_PORT_BASE, project_root
from .discovery import ServiceProcess, assign_ports, discover, service_names, url_variable
from .processes import StackError

# Inside a container every API listens on one port and every worker serves its
# health and metrics on another (Faust's usual web port); no need to vary them.
API_PORT = 8000
WORKER_PORT = 6066
COMPOSE = "docker-compose.yml"
PROMETHEUS = "infra/prometheus/prometheus.yml"
KUBERNETES = "infra/kubernetes/services.yaml"
HOW = "python -m nahnetz.stack.deployment; do not edit by hand"


class DeploymentError(RuntimeError):
    pass


def container_port(proc: ServiceProcess) -> int:
    return API_PORT if proc.role == "api" else WORKER_PORT


def container_command(proc: ServiceProcess) -> list[str]:
    return proc.argv("python")


def api_url(service: str) -> str:
    return f"http://{ServiceProcess(service, 'api').name}:{API_PORT}"


# -- docker-compose.yml ------------------------------------------------------------------
def compose_service_urls(processes: list[ServiceProcess]) -> list[str]:
    return [f"  {url_variable(p.service)}: {api_url(p.service)}" for p in processes if p.role == "api"]


def compose_services(processes: list[ServiceProcess]) -> list[str]:
    lines: list[str] = []
    for proc in assign_ports(processes, DEFAULT_API_PORT_BASE, DEFAULT_WORKER_PORT_BASE):
        lines += [
            f"  {proc.name}:",
            "    <<: *nahnetz-service",
            f"    command: {json.dumps(container_command(proc))}",
            "    environment:",
            "      <<: *nahnetz-env",
            f"      NAHNETZ_SERVICE: {proc.service}",
        ]
        if proc.role == "api":
            lines += ["      NAHNETZ_HTTP_HOST: 0.0.0.0", f"      NAHNETZ_HTTP_PORT: {API_PORT}",
                      f'    ports: ["{proc.port}:{API_PORT}"]']
        else:
            lines += ["      NAHNETZ_HTTP_HOST: 0.0.0.0",  # Prometheus scrapes the worker from outside
                      f"      NAHNETZ_HEALTH_URL: http://127.0.0.1:{WORKER_PORT}/healthz"]
        lines.append("")
    return lines[:-1]


# -- Prometheus ----------------------------------------------------------------------------
def prometheus_targets(processes: list[ServiceProcess]) -> list[str]:
    if not processes:
        return ["    static_configs: []"]
    lines = ["    static_configs:"]
    for proc in processes:
        lines += [f'      - targets: ["{proc.name}:{container_port(proc)}"]',
                  f"        labels: {{service: {proc.service}, role: {proc.role}}}"]
    return lines


# -- Kubernetes ------------------------------------------------------------------------------
def kubernetes_manifests(processes: list[ServiceProcess]) -> str:
    documents: list[dict] = [{
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "nahnetz-service-urls", "labels": {"app.kubernetes.io/part-of": "nahnetz"}},
        "data": {url_variable(s): api_url(s) for s in service_names(p for p in processes if p.role == "api")},
    }]
    for proc in processes:
        documents.append(_deployment(proc))
        if proc.role == "api":
            documents.append(_service(proc))
    header = (f"# Generated from services/ ({HOW}).\n"
              "# A Deployment and a Service per API, a Deployment per worker; see infra/README.md.\n")
    return header + yaml.safe_dump_all(documents, sort_keys=False, width=120)


def _labels(proc: ServiceProcess) -> dict[str, str]:
    return {"app.kubernetes.io/name": proc.name, "app.kubernetes.io/part-of": "nahnetz",
            "app.kubernetes.io/component": proc.role, "nahnetz.dev/service": proc.service}


def _deployment(proc: ServiceProcess) -> dict:
    port_name = "http" if proc.role == "api" else "health"
    probe = lambda path, **timing: {"httpGet": {"path": path, "port": port_name}, **timing}  # noqa: E731
    container = {
        "name": proc.role,
        "image": "nahnetz",
        "command": container_command(proc),
        "envFrom": [{"configMapRef": {"name": "nahnetz-env"}},
                    {"configMapRef": {"name": "nahnetz-service-urls"}},
                    {"secretRef": {"name": "nahnetz-secrets"}}],
        "env": [{"name": "NAHNETZ_SERVICE", "value": proc.service}, {"name": "NAHNETZ_HTTP_HOST", "value": "0.0.0.0"}]
        + ([{"name": "NAHNETZ_HTTP_PORT", "value": str(API_PORT)}] if proc.role == "api" else
           [{"name": "NAHNETZ_HEALTH_URL", "value": f"http://127.0.0.1:{WORKER_PORT}/healthz"}]),
        "ports": [{"name": port_name, "containerPort": container_port(proc)}],
        # Startup may include a consumer group join and table recovery.
        "startupProbe": probe("/healthz", periodSeconds=2, failureThreshold=60),
        "livenessProbe": probe("/healthz", periodSeconds=15, failureThreshold=3),
        "readinessProbe": probe("/readyz", periodSeconds=5, failureThreshold=3),
        "resources": {"requests": {"cpu": "50m", "memory": "192Mi"},
                      "limits": {"memory": "512Mi" if proc.role == "api" else "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": proc.name, "labels": _labels(proc)},
        "spec": {
            # APIs are stateless; workers scale with partitions (add replicas with care).
            "replicas": 2 if proc.role == "api" else 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": proc.name}},
            "template": {
                "metadata": {
                    "labels": _labels(proc),
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
                                    "prometheus.io/port": str(container_port(proc))},
                },
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001},
                    # Workers leave their consumer group cleanly on SIGTERM.
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container],
                },
            },
        },
    }


def _service(proc: ServiceProcess) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": proc.name, "labels": _labels(proc)},
        "spec": {"selector": {"app.kubernetes.io/name": proc.name},
                 "ports": [{"name": "http", "port": API_PORT, "targetPort": "http"}]},
    }


# -- blocks in hand-written files ----------------------------------------------------------
def replace_block(text: str, name: str, lines: list[str], where: str) -> str:
    """Replace what stands between the block's two marker lines."""
    rows = text.split("\n")
    start = _marker(rows, f"# >>> generated: {name}", where)
    end = _marker(rows, f"# <<< generated: {name}", where)
    if end < start:
        raise DeploymentError(f"{where}: the end marker of block {name!r} comes before its start")
    return "\n".join(rows[:start + 1] + lines + rows[end:])


def _marker(rows: list[str], marker: str, where: str) -> int:
    found = [i for i, row in enumerate(rows) if row.strip().startswith(marker)]
    if len(found) != 1:
        raise DeploymentError(f"{where}: expected one line starting with {marker!r}, found {len(found)}; "
                              f"restore the markers of the generated block")
    return found[0]


def expected_files(root: Path, processes: list[ServiceProcess]) -> dict[str, str]:
    """Every generated file's content as it should be now."""
    compose = (root / COMPOSE).read_text()
    compose = replace_block(compose, "service-urls", compose_service_urls(processes), COMPOSE)
    compose = replace_block(compose, "services", compose_services(processes), COMPOSE)
    prometheus = replace_block((root / PROMETHEUS).read_text(), "targets",
                               prometheus_targets(processes), PROMETHEUS)
    return {COMPOSE: compose, PROMETHEUS: prometheus, KUBERNETES: kubernetes_manifests(processes)}


def stale_files(root: Path, services_dir: Path | None = None) -> list[str]:
    processes = discover(services_dir or root / "services")
    return [name for name, content in expected_files(root, processes).items()
            if not (root / name).exists() or (root / name).read_text() != content]


def write_files(root: Path, services_dir: Path | None = None) -> list[str]:
    processes = discover(services_dir or root / "services")
    changed = []
    for name, content in expected_files(root, processes).items():
        path = root / name
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed.append(name)
    return changed


# -- topics for ops ------------------------------------------------------------------------
def topics_script(replication_factor: int = 3) -> str:
    """The registry as `kafka-topics.sh` commands, for clusters where the topic-init
    job cannot run (an operator creates topics by hand or in their own tooling)."""
    from ..topics import all_with_dead_letters

    lines = ["#!/bin/sh",
             f"# Generated from nahnetz.topics ({HOW}).",
             "set -eu",
             ': "${BOOTSTRAP:?set BOOTSTRAP to host:port of a broker}"']
    for topic in all_with_dead_letters():
        configs = " ".join(f"--config {k}={v}" for k, v in topic.kafka_config().items())
        lines.append(f'kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists '
                     f"--topic {topic.name} --partitions {topic.partitions} "
                     f"--replication-factor {replication_factor} {configs}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nahnetz.stack.deployment",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=["files", "topics"], default="files")
    parser.add_argument("--check", action="store_true", help="only report files that lag behind services/")
    parser.add_argument("--replication-factor", type=int, default=3, help="for `topics`")
    args = parser.parse_args(argv)
    if args.what == "topics":
        sys.stdout.write(topics_script(args.replication_factor))
        return 0
    root = project_root()
    try:
        if args.check:
            stale = stale_files(root)
            for name in stale:
                print(f"{name} does not match services/; run: python -m nahnetz.stack.deployment",
                      file=sys.stderr)
            return 1 if stale else 0
        for name in write_files(root):
            print(f"wrote {name}")
    except (DeploymentError, StackError) as exc:
        print(f"nahnetz deployment: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
