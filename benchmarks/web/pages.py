"""Web front: server time per page while the demo load runs, and the bytes of the
resident's first visit.

    .venv/bin/python benchmarks/web/pages.py                    # its own stack; 30 requests per page, 2 orders/s
    .venv/bin/python benchmarks/web/pages.py --requests 100 --rate 5
    .venv/bin/python benchmarks/web/pages.py --stack /tmp/hx-run --web-url http://127.0.0.1:28153

Without --stack it starts an embedded stack of its own (`nahnetz.testing.EmbeddedStack`:
`nahnetz up --no-seed --detach` on free ports in a temporary run dir, the web front
included), seeds Kreis Höxter through the APIs and stops it at the end, also on
failure; with --stack RUN_DIR it uses the stack running there (started with the test
stack's secret) and leaves it running; --web-url names another web front on it.

The pages measured are the web app's own (`services.web.api.create_app`'s GET routes
without path parameters), grouped by role by their path prefix (ROLE_PAGES); a role
none of whose pages exist yet is skipped. One signed-in session per role: staff
accounts are made with the admin command (`nahnetz-web add-account`), the resident
signs in with a code from notify's message file. While residents order through the
orders API at `--rate` per second by the clock (open loop, `nahnetz.demo.residents`),
every page is fetched `--requests` times, the pages taken in turn, one request at a
time: the time from sending the request until the whole answer arrived (the web front
and the APIs it calls, on this machine; no network between). Printed per page: n,
p50, p95, p99 and the target p95 <= 300 ms.

First load: the resident's main page (/einkaufen; the start page when there is no
resident page yet) in a fresh Chromium profile through Playwright, counting every
response's encoded body (gzip as sent) and headers: the HTML and every CSS, JS and
image it loads. Target: <= 300 kB. Without Chromium, httpx fetches the page and every
asset it names with Accept-Encoding: gzip and counts the bytes that came over the wire.

The machine is shared (2 cores in the sandbox): stack, load and client share it; the
load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.machine import machine_line  # noqa: E402

TARGET_P95_MS = 300.0
TARGET_FIRST_LOAD_KB = 300.0
# Path prefix -> the role whose pages they are (operator also stands for admin).
ROLE_PAGES: tuple[tuple[str, str], ...] = (
    ("/einkaufen", "resident"), ("/warenkorb", "resident"), ("/bestellungen", "resident"),
    ("/laden", "shop"), ("/fahrer", "driver"),
    ("/betrieb", "operator"), ("/assistenz", "operator"),
    ("/gemeinde", "municipality"), ("/fracht", "freight_participant"),
)
ROLES = ("resident", "shop", "driver", "operator", "municipality", "freight_participant")
RESIDENT_MAIN = "/einkaufen"
MUNICIPALITY = "Höxter"
ADMIN_COMMAND = Path(sys.executable).with_name("nahnetz-web")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# --- the pure part ------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q % of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {"n": len(values_ms), "p50": percentile(values_ms, 50), "p95": percentile(values_ms, 95),
            "p99": percentile(values_ms, 99), "max": max(values_ms)}


def role_of(path: str) -> str | None:
    for prefix, role in ROLE_PAGES:
        if path == prefix or path.startswith(prefix + "/"):
            return role
    return None


def pages_by_role(paths: Iterable[str]) -> dict[str, list[str]]:
    """The GET pages without path parameters, by the role they are for (in ROLES order).
    Downloads (a path with a file suffix) are left out: they are files, not pages."""
    found: dict[str, list[str]] = {}
    for path in sorted(set(paths)):
        role = role_of(path)
        if role is None or "{" in path or re.search(r"\.[a-z]{2,4}$", path):
            continue
        found.setdefault(role, []).append(path)
    return {role: found[role] for role in ROLES if role in found}


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("href") and (a.get("rel") or "") in ("stylesheet", "icon", "preload"):
            self.urls.append(a["href"] or "")
        elif tag in ("script", "img") and a.get("src"):
            self.urls.append(a["src"] or "")


def assets_of(html: str) -> list[str]:
    """The same-site CSS, JS and images a page names (stylesheets, scripts, images, icon)."""
    parser = _Assets()
    parser.feed(html)
    return [u for u in dict.fromkeys(parser.urls) if u.startswith("/") and not u.startswith("//")]


@dataclass
class FirstLoad:
    page: str
    method: str
    responses: list[tuple[str, int, int]] = field(default_factory=list)  # url, encoded body, headers

    @property
    def body_bytes(self) -> int:
        return sum(b for _, b, _ in self.responses)

    @property
    def header_bytes(self) -> int:
        return sum(h for _, _, h in self.responses)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


# --- against the stack --------------------------------------------------------------


def web_routes() -> list[str]:
    """The GET paths of the web app (read from the app, so new pages are measured too)."""
    from starlette.routing import Mount

    from nahnetz.kit.settings import Settings
    from services.web.api import create_app
    from services.web.settings import WebSettings

    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", redis_url="redis://127.0.0.1:1/0", service="web"),
                     WebSettings(services={}))
    found: list[str] = []

    def walk(routes, prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, Mount):
                continue
            elif "GET" in (getattr(route, "methods", None) or ()):
                found.append(prefix + route.path)

    walk(app.routes, "")
    return found


def add_account(redis_url: str, username: str, role: str, **scope: str) -> str:
    password = secrets.token_urlsafe(18)
    options = [f"--{k.replace('_', '-')}={v}" for k, v in scope.items()]
    result = subprocess.run([str(ADMIN_COMMAND), "add-account", username, f"--role={role}", *options,
                             "--password-stdin"], input=password + "\n", capture_output=True, text=True,
                            env={**os.environ, "REDIS_URL": redis_url}, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f"add-account {username} failed: {result.stderr}")
    return password


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF field on the sign-in page")
    return found.group(1)


async def code_sent_to(messages: Path, address: str, since: float, timeout: float = 30.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if messages.exists():
            for line in reversed(messages.read_text(encoding="utf-8").splitlines()):
                message = json.loads(line)
                if str(message.get("to") or message.get("address") or "") == address and \
                        (found := re.search(r"\b(\d{6})\b", str(message.get("text") or message.get("body") or ""))):
                    return found.group(1)
        await asyncio.sleep(0.2)
    return None


async def session(base: str, role: str, stack, run: str, shop_id: str):
    """An httpx client signed in as `role` through the web front's forms; None if it cannot be."""
    import httpx

    client = httpx.AsyncClient(base_url=base, timeout=60.0, headers={"Accept": "text/html"})
    if role == "resident":
        address = f"bench-{run}@example.org"
        form = await client.get("/anmelden/code")
        since = time.time()
        sent = await client.post("/anmelden/code", data={"address": address, "csrf": csrf_of(form.text)})
        code = await code_sent_to(stack.run_dir / "notify" / "messages.jsonl", address, since) \
            if sent.status_code == 200 else None
        if code is None:
            print(f"  resident: no sign-in code (notify answered {sent.status_code}): resident pages skipped")
            await client.aclose()
            return None
        answer = await client.post("/anmelden/code/pruefen", data={"address": address, "code": code,
                                                                   "csrf": csrf_of(sent.text)})
    else:
        username = f"bench-{role}-{run}"
        scope = {"shop": {"shop_id": shop_id}, "municipality": {"municipality": MUNICIPALITY}}.get(role, {})
        password = add_account(stack.redis_url, username, role, subject=username, name=f"Bench {role}", **scope)
        form = await client.get("/anmelden")
        answer = await client.post("/anmelden", data={"username": username, "password": password,
                                                      "csrf": csrf_of(form.text)})
    if answer.status_code != 303 or answer.headers.get("location", "").startswith("/anmelden"):
        print(f"  {role}: sign-in failed ({answer.status_code}); its pages skipped")
        await client.aclose()
        return None
    return client


async def first_load(base: str, client, page: str) -> FirstLoad:
    """The page and everything it loads in a fresh browser (Playwright + Chromium), else httpx."""
    chromium = next((c for c in (os.environ.get("NAHNETZ_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser")
                     if c and Path(c).is_file()), None)
    if chromium:
        from playwright.async_api import async_playwright

        result = FirstLoad(page, "Chromium (Playwright), encoded sizes")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                context = await browser.new_context()
                host = re.sub(r"^https?://", "", base).split("/")[0].split(":")[0]
                await context.add_cookies([{"name": c.name, "value": c.value or "", "domain": host, "path": "/"}
                                           for c in client.cookies.jar])
                tab = await context.new_page()
                finished: list = []
                tab.on("requestfinished", lambda request: finished.append(request))
                await tab.goto(base + page, wait_until="networkidle")
                for request in finished:
                    sizes = await request.sizes()
                    result.responses.append((request.url, sizes["responseBodySize"], sizes["responseHeadersSize"]))
            finally:
                await browser.close()
        return result
    result = FirstLoad(page, "httpx, Accept-Encoding: gzip, bytes on the wire")
    answer = await client.get(page, headers={"Accept-Encoding": "gzip"})
    result.responses.append((page, answer.num_bytes_downloaded, len(str(answer.headers))))
    for url in assets_of(answer.text):
        asset = await client.get(url, headers={"Accept-Encoding": "gzip"})
        result.responses.append((url, asset.num_bytes_downloaded, len(str(asset.headers))))
    return result


@dataclass
class Result:
    pages: dict[str, dict[str, float]]        # "role GET /path" -> summary (ms)
    statuses: dict[str, dict[int, int]]
    first: FirstLoad | None
    orders: dict[str, int]
    skipped: list[str]


async def measure(stack, platform, base: str, *, requests: int, rate: float, seed: int = 21,
                  first_load_page: bool = True) -> Result:
    """Sign in every role, run the order load, fetch every page `requests` times."""
    from nahnetz.demo.residents import delivery_day, place_orders
    from nahnetz.regions import load_region

    region = load_region("kreis_hoexter")
    run = uuid.uuid4().hex[:8]
    by_role = pages_by_role(web_routes())
    skipped = [r for r in ROLES if r not in by_role]
    print(f"pages found: {sum(len(p) for p in by_role.values())} for {', '.join(by_role)}"
          + (f"; no pages yet for {', '.join(skipped)}" if skipped else ""), flush=True)
    clients: dict[str, Any] = {}
    for role in by_role:
        client = await session(base, role, stack, run, region.shops[0].id)
        if client is None:
            skipped.append(role)
        else:
            clients[role] = client
    plan = [(role, page) for role in clients for page in by_role[role]]
    times: dict[str, list[float]] = {f"{r} GET {p}": [] for r, p in plan}
    statuses: dict[str, dict[int, int]] = {k: {} for k in times}
    orders = {"accepted": 0, "refused": 0, "failed": 0}
    stop = asyncio.Event()

    async def load() -> None:
        day = await delivery_day(platform)
        began, n, tasks = time.monotonic(), 0, []

        async def one(k: int) -> None:
            try:
                placed = await place_orders(platform, region, day, 1, seed=seed * 1_000_000 + k)
                orders["accepted" if placed[0].order_id else "refused"] += 1
            except Exception:  # a benchmark reports a failed order, it does not stop
                orders["failed"] += 1

        while not stop.is_set():
            tasks.append(asyncio.create_task(one(n)))
            n += 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, began + n / rate - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        await asyncio.gather(*tasks)

    loading = asyncio.create_task(load()) if rate > 0 else None
    try:
        for role, page in plan:   # warm-up: one each, not counted
            await clients[role].get(page)
        print(f"measuring {len(plan)} pages x {requests} requests while residents order at {rate:g}/s ...",
              flush=True)
        for _ in range(requests):
            for role, page in plan:
                key = f"{role} GET {page}"
                began = time.perf_counter()
                answer = await clients[role].get(page)
                times[key].append(1000 * (time.perf_counter() - began))
                statuses[key][answer.status_code] = statuses[key].get(answer.status_code, 0) + 1
        home = RESIDENT_MAIN if "resident" in clients else "/"
        first = await first_load(base, clients.get("resident") or next(iter(clients.values())), home) \
            if first_load_page and clients else None
    finally:
        stop.set()
        if loading:
            await loading
        for client in clients.values():
            await client.aclose()
    return Result({k: summary(v) for k, v in times.items() if v}, statuses, first, orders, skipped)


def report(result: Result) -> bool:
    """Print the figures and the targets; True when both are met."""
    print(f"\n{machine_line()}")
    print(f"orders during the run: {result.orders['accepted']} accepted, {result.orders['refused']} refused, "
          f"{result.orders['failed']} failed")
    if result.skipped:
        print(f"roles skipped (no pages, or no sign-in): {', '.join(result.skipped)}")
    width = max((len(k) for k in result.pages), default=10)
    print(f"\n{'page':{width}}  {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  statuses")
    ok = True
    for key, s in result.pages.items():
        codes = ", ".join(f"{c}x{n}" for c, n in sorted(result.statuses[key].items()))
        flag = "" if s["p95"] <= TARGET_P95_MS else "  > target"
        ok &= s["p95"] <= TARGET_P95_MS
        print(f"{key:{width}}  {s['n']:4d} {s['p50']:7.1f}ms {s['p95']:7.1f}ms {s['p99']:7.1f}ms "
              f"{s['max']:7.1f}ms  {codes}{flag}")
    print(f"server time p95 <= {TARGET_P95_MS:.0f} ms on every page: {verdict(ok)}")
    if result.first:
        f = result.first
        kb = f.body_bytes / 1000
        print(f"\nfirst load of {f.page} ({f.method}): {len(f.responses)} responses, {kb:.1f} kB bodies "
              f"+ {f.header_bytes / 1000:.1f} kB headers")
        for url, body, _ in sorted(f.responses, key=lambda r: -r[1]):
            print(f"  {body / 1000:8.1f} kB  {url}")
        print(f"first load <= {TARGET_FIRST_LOAD_KB:.0f} kB: {verdict(kb <= TARGET_FIRST_LOAD_KB)}")
        ok &= kb <= TARGET_FIRST_LOAD_KB
    return ok


async def run(args) -> Result:
    from nahnetz.demo.seeding import seed
    from nahnetz.regions import load_region
    from nahnetz.testing import EmbeddedStack

    if args.stack:
        stack, started = EmbeddedStack(Path(args.stack)), False
        print(f"using the running stack in {args.stack} (left running)", flush=True)
    else:
        stack, started = EmbeddedStack(Path(tempfile.mkdtemp(prefix="bench-web-")) / "run"), True
        print(f"starting a stack in {stack.run_dir} ...", flush=True)
    try:
        if started:
            stack.up()
        platform = stack.platform()
        try:
            if started:
                print("seeding Kreis Höxter ...", flush=True)
                await seed(platform, load_region("kreis_hoexter"), lambda *_: None)
            base = (args.web_url or stack.urls()["web"]).rstrip("/")
            print(f"web front: {base}", flush=True)
            return await measure(stack, platform, base, requests=args.requests, rate=args.rate, seed=args.seed)
        finally:
            await platform.close()
    finally:
        if started:
            stack.ensure_down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="requests per page (default 30)")
    parser.add_argument("--rate", type=float, default=2.0, help="orders per second during the run (default 2; 0: none)")
    parser.add_argument("--stack", help="the run dir of a running stack to use (default: start one)")
    parser.add_argument("--web-url", help="a web front on that stack other than its own")
    parser.add_argument("--seed", type=int, default=21, help="random seed of the residents")
    args = parser.parse_args()
    print(machine_line())
    result = asyncio.run(run(args))
    report(result)


if __name__ == "__main__":
    main()
