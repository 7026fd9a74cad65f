"""Container health check: `python -m nahnetz.stack.healthcheck` exits 0 when this
container's process answers GET /healthz with 200 (Dockerfile HEALTHCHECK).

It probes NAHNETZ_HEALTH_URL, else the API at http://127.0.0.1:$NAHNETZ_HTTP_PORT/healthz.
Only the standard library: the check runs every few seconds and must start fast.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def health_url(environ: dict[str, str] | os._Environ = os.environ) -> str:
    return (environ.get("NAHNETZ_HEALTH_URL")
            or f"http://127.0.0.1:{environ.get('NAHNETZ_HTTP_PORT') or '8000'}/healthz")


def main() -> int:
    url = health_url()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=4) as response:
            healthy = response.status == 200
            said = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        healthy, said = False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        healthy, said = False, str(getattr(exc, "reason", exc))
    print(f"{url}: {said}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
