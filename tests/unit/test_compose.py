"""docker-compose.yml, Dockerfile and infra/ against the code (no Docker engine needed).

The checks run on the committed files for the services that exist, and on files
generated for a temporary services folder, so they bite even before the first
service lands and whenever one is added without re-running the generator.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from nahnetz.stack import deployment
from nahnetz.stack.discovery import discover

REPO = Path(__file__).resolve().parents[2]
SERVICE_DEPENDENCIES = {"topic-init": "service_completed_successfully",
                        "kafka": "service_healthy", "redis": "service_healthy"}


def load_compose(text: str | None = None) -> dict:
    return yaml.safe_load(text if text is not None else (REPO / "docker-compose.yml").read_text())


def entry_point_problems(compose: dict, services_dir: Path) -> list[str]:
    """Every API and worker under `services_dir` has a compose service whose command
    runs an entry point that exists; no compose service runs a module that is gone."""
    problems = []
    entries = compose["services"]
    for proc in discover(services_dir):
        entry = entries.get(proc.name)
        if entry is None:
            problems.append(f"{proc.name}: missing in docker-compose.yml")
            continue
        command = entry.get("command") or []
        if command[:2] != ["python", "-m"] or len(command) != 3:
            problems.append(f"{proc.name}: command {command} is not `python -m <module>`")
            continue
        module = command[2]
        source = services_dir.parent / (module.replace(".", "/") + ".py")
        if not source.is_file():
            problems.append(f"{proc.name}: {module} has no file {source}")
        elif proc.role == "api" and not callable_without_arguments(source, "create_app"):
            problems.append(f"{proc.name}: {source} defines no create_app() callable without "
                            f"arguments (give its settings parameter a default)")
        elif "__main__" not in source.read_text():
            problems.append(f"{proc.name}: {source} does not run as a program (no __main__)")
        if entry.get("environment", {}).get("NAHNETZ_SERVICE") != proc.service:
            problems.append(f"{proc.name}: NAHNETZ_SERVICE is not {proc.service!r}")
        depends = {name: dep.get("condition") for name, dep in (entry.get("depends_on") or {}).items()}
        if any(depends.get(k) != v for k, v in SERVICE_DEPENDENCIES.items()):
            problems.append(f"{proc.name}: depends_on {depends}, wanted {SERVICE_DEPENDENCIES}")
    expected_names = {p.name for p in discover(services_dir)}
    for name, entry in entries.items():
        command = entry.get("command") or []
        if any(str(a).startswith("services.") for a in command) and name not in expected_names:
            problems.append(f"{name}: runs {command} but there is no such service in {services_dir}")
    return problems


def callable_without_arguments(source: Path, function: str) -> bool:
    """A module-level `def function(...)` whose every parameter has a default."""
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            args = node.args
            positional = args.posonlyargs + args.args
            return (len(args.defaults) == len(positional)
                    and all(d is not None for d in args.kw_defaults))
    return False


@pytest.fixture
def sample_services(tmp_path) -> Path:
    """Two services as the conventions want them."""
    folder = tmp_path / "services"
    for service, files in {
        "catalog": {"api.py": "def create_app(settings=None):\n    ...\n\nif __name__ == \"__main__\":\n    serve(create_app)\n",
                    "worker.py": "def main():\n    ...\n\nif __name__ == '__main__':\n    main()\n"},
        "notify": {"worker.py": "if __name__ == '__main__':\n    pass\n"},
        "_shared": {"api.py": ""},
    }.items():
        (folder / service).mkdir(parents=True)
        (folder / service / "__init__.py").write_text("")
        for name, source in files.items():
            (folder / service / name).write_text(source)
    (folder / "__init__.py").write_text("")
    return folder


def generated_for(services_dir: Path) -> dict[str, str]:
    return deployment.expected_files(REPO, discover(services_dir))


# -- the committed files ---------------------------------------------------------------------
def test_generated_parts_are_up_to_date_with_services():
    stale = deployment.stale_files(REPO)
    assert stale == [], (f"{stale} lag behind services/: run "
                         f"`.venv/bin/python -m nahnetz.stack.deployment` and commit the result")


def test_every_repository_service_runs_from_compose_with_an_existing_entry_point():
    assert entry_point_problems(load_compose(), REPO / "services") == []


# -- the checks themselves, on a services folder with services in it ------------------------
def test_generated_compose_runs_every_sample_service(sample_services):
    compose = load_compose(generated_for(sample_services)["docker-compose.yml"])
    assert {"catalog-api", "catalog-worker", "notify-worker"} <= set(compose["services"])
    assert "shared-api" not in compose["services"] and "_shared-api" not in compose["services"]
    assert entry_point_problems(compose, sample_services) == []
    api, worker = compose["services"]["catalog-api"], compose["services"]["catalog-worker"]
    assert api["ports"] == ["8100:8000"]
    assert api["environment"]["NAHNETZ_URL_CATALOG"] == "http://catalog-api:8000"
    assert worker["environment"]["NAHNETZ_HEALTH_URL"] == "http://127.0.0.1:6066/healthz"
    assert worker["environment"]["KAFKA_BOOTSTRAP"].endswith("kafka:9092}")


def test_the_check_names_a_missing_service_and_a_missing_entry_point(sample_services):
    compose = load_compose(generated_for(sample_services)["docker-compose.yml"])
    del compose["services"]["notify-worker"]
    (sample_services / "catalog" / "api.py").write_text("def create_app(settings):\n    ...\n")
    problems = entry_point_problems(compose, sample_services)
    assert "notify-worker: missing in docker-compose.yml" in problems
    assert any(p.startswith("catalog-api:") and "without arguments" in p for p in problems)
    (sample_services / "catalog" / "api.py").write_text("app = None\n")
    assert any(p.startswith("catalog-api:") for p in entry_point_problems(compose, sample_services))


def test_a_new_service_makes_the_committed_files_stale(sample_services):
    assert deployment.stale_files(REPO, sample_services) != []


# -- infrastructure in compose ----------------------------------------------------------------
def test_topic_init_creates_the_registry_topics_after_kafka_is_healthy():
    from nahnetz.cli import main

    init = load_compose()["services"]["topic-init"]
    assert init["command"][:3] == ["nahnetz", "topics", "create"]
    assert "create" in main.commands["topics"].commands  # the registry's own command
    assert init["environment"]["KAFKA_BOOTSTRAP"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert init["image"] == "${NAHNETZ_IMAGE:-nahnetz:dev}" and init["build"] == "."


def test_kafka_is_apache_kafka_in_kraft_mode_with_a_pinned_version():
    services = load_compose()["services"]
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"])
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # topics only from the registry
    assert "healthcheck" in kafka and "profiles" not in kafka
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+(-alpine)?", services["redis"]["image"])
    assert "healthcheck" in services["redis"]


def test_the_cluster_profile_runs_three_brokers_of_one_cluster():
    services = load_compose()["services"]
    brokers = {name: s for name, s in services.items() if s.get("image", "").startswith("apache/kafka")}
    assert set(brokers) == {"kafka", "kafka-2", "kafka-3"}
    assert services["kafka-2"]["profiles"] == ["cluster"] and services["kafka-3"]["profiles"] == ["cluster"]
    envs = [b["environment"] for b in brokers.values()]
    assert sorted(e["KAFKA_NODE_ID"] for e in envs) == [1, 2, 3]
    assert len({e["CLUSTER_ID"] for e in envs}) == 1
    assert len({b["image"] for b in brokers.values()}) == 1
    voters = {e["KAFKA_CONTROLLER_QUORUM_VOTERS"] for e in envs}
    assert voters == {"1@kafka:9093"}  # node 1 is the controller the others join
    for name in ("kafka-2", "kafka-3"):
        env = services[name]["environment"]
        assert f"PLAINTEXT://{name}:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
        assert services["topic-init"]["depends_on"][name] == {"condition": "service_healthy", "required": False}
    cluster_env = dict(line.split("=", 1) for line in (REPO / "infra/compose/cluster.env").read_text().splitlines()
                       if line and not line.startswith("#"))
    assert cluster_env["COMPOSE_PROFILES"] == "cluster"
    assert cluster_env["NAHNETZ_REPLICATION_FACTOR"] == "3"
    assert cluster_env["NAHNETZ_KAFKA_BOOTSTRAP"].split(",") == ["kafka:9092", "kafka-2:9092", "kafka-3:9092"]
    assert "${NAHNETZ_REPLICATION_FACTOR:-1}" in services["topic-init"]["command"]


# -- the image ------------------------------------------------------------------------------------
def test_dockerfile_installs_pinned_dependencies_and_runs_as_a_user_with_a_healthcheck():
    text = (REPO / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n", " ", text)
    assert re.search(r"^FROM python:3\.11-slim\b", instructions, re.M)
    pip_installs = [line for line in instructions.splitlines() if line.startswith("RUN") and "pip install" in line]
    assert pip_installs and all("--constraint constraints.txt" in line for line in pip_installs)
    assert re.search(r"^COPY .*constraints\.txt", instructions, re.M)
    for folder in ("libs", "services", "schemas"):
        assert re.search(rf"^COPY {folder} ", instructions, re.M), f"the image lacks {folder}/"
    users = re.findall(r"^USER (\S+)", instructions, re.M)
    assert users and users[-1] not in ("root", "0")
    healthcheck = re.search(r"^HEALTHCHECK .*CMD (.*)$", instructions, re.M)
    assert healthcheck and "nahnetz.stack.healthcheck" in healthcheck.group(1)
    assert (REPO / "libs/nahnetz/stack/healthcheck.py").is_file()
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_healthcheck_probes_the_worker_url_or_the_api_port():
    from nahnetz.stack.healthcheck import health_url

    assert health_url({"NAHNETZ_HTTP_PORT": "8000"}) == "http://127.0.0.1:8000/healthz"
    assert health_url({"NAHNETZ_HEALTH_URL": "http://127.0.0.1:6066/healthz",
                       "NAHNETZ_HTTP_PORT": "8000"}) == "http://127.0.0.1:6066/healthz"


# -- Prometheus and Kubernetes -----------------------------------------------------------------------
def test_prometheus_scrapes_every_api_and_worker(sample_services):
    config = yaml.safe_load(generated_for(sample_services)["infra/prometheus/prometheus.yml"])
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "nahnetz")
    targets = {t for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {"catalog-api:8000", "catalog-worker:6066", "notify-worker:6066"}
    assert job["metrics_path"] == "/metrics"


def test_kubernetes_has_a_deployment_and_service_per_api_and_a_deployment_per_worker(sample_services):
    documents = list(yaml.safe_load_all(generated_for(sample_services)["infra/kubernetes/services.yaml"]))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert kinds == {("ConfigMap", "nahnetz-service-urls"),
                     ("Deployment", "catalog-api"), ("Service", "catalog-api"),
                     ("Deployment", "catalog-worker"), ("Deployment", "notify-worker")}
    worker = next(d for d in documents if d["metadata"]["name"] == "notify-worker")
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "services.notify.worker"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"configMapRef": {"name": "nahnetz-env"}} in container["envFrom"]
    assert worker["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "6066"
    kustomization = yaml.safe_load((REPO / "infra/kubernetes/kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (REPO / "infra/kubernetes" / resource).is_file(), resource
    job = yaml.safe_load((REPO / "infra/kubernetes/topic-init-job.yaml").read_text())
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][:3] == ["nahnetz", "topics", "create"]


def test_a_lost_marker_is_named():
    text = textwrap.dedent("""\
        services:
          # >>> generated: services
        volumes: {}
    """)
    with pytest.raises(deployment.DeploymentError, match="<<< generated: services.*found 0"):
        deployment.replace_block(text, "services", [], "docker-compose.yml")


def test_topics_script_covers_the_registry():
    from nahnetz.topics import all_with_dead_letters

    script = deployment.topics_script(replication_factor=3)
    for topic in all_with_dead_letters():
        assert re.search(rf"--topic {re.escape(topic.name)} --partitions {topic.partitions} "
                         r"--replication-factor 3 ", script)


# -- secrets and listening addresses -----------------------------------------------------------
def test_compose_runs_in_production_and_refuses_to_start_without_real_secrets():
    from nahnetz.kit.settings import DEV_JWT_SECRET
    from services.freight.settings import DEV_CODE_SECRET as DEV_FREIGHT_SECRET
    from services.pickup.settings import DEV_CODE_SECRET

    text = (REPO / "docker-compose.yml").read_text()
    env = load_compose()["x-nahnetz-env"]
    assert env["NAHNETZ_ENV"] == "${NAHNETZ_ENV:-prod}"
    # `${VAR:?message}`: compose stops before starting anything when the host has none.
    for name in ("NAHNETZ_JWT_SECRET", "PICKUP_CODE_SECRET", "FREIGHT_CODE_SECRET"):
        assert re.fullmatch(r"\$\{%s:\?.+\}" % name, env[name]), env[name]
    assert DEV_JWT_SECRET not in text and DEV_CODE_SECRET not in text and DEV_FREIGHT_SECRET not in text


def test_every_container_listens_on_all_interfaces_and_every_local_process_on_loopback():
    from nahnetz.kit.settings import Settings
    from nahnetz.messaging.faust_app import faust_options

    for name, entry in load_compose()["services"].items():
        if name.endswith(("-api", "-worker")):
            assert entry["environment"]["NAHNETZ_HTTP_HOST"] == "0.0.0.0", name
    # Outside a container a worker's health and metrics port binds where the API does.
    local = Settings(kafka_bootstrap="localhost:9092", redis_url="redis://localhost:6379/0")
    assert local.http_host == "127.0.0.1"
    assert faust_options(local, "nahnetz-test")["web_bind"] == "127.0.0.1"
