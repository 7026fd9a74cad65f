"""Running Nahnetz: the embedded stack behind `nahnetz up` and the deployment files.

| module | what it does |
|---|---|
| `discovery` | the service conventions: which API and worker processes exist, their ports |
| `config` | ports, run dir and timeouts of the embedded stack, from the environment |
| `infra` | the Tansu broker and a local redis-server as child processes |
| `processes` | child processes in their own process groups; stopping them, SIGTERM then SIGKILL |
| `state` | the state file that lets `down`, `status` and `logs` find a running stack |
| `probes` | readiness: /readyz of services, metadata from the broker, PING to Redis |
| `launcher` | starts one stack in order, recording each process as it starts |
| `supervisor` | the `up`, `down`, `status` and `logs` commands |
| `deployment` | docker-compose, Kubernetes and Prometheus files generated from services/ |
| `healthcheck` | the container HEALTHCHECK |
"""
