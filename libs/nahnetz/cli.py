"""`nahnetz`: the one console command for running and maintaining the platform.

Subcommands import their modules lazily, so `nahnetz --help` stays instant.
"""

from __future__ import annotations

import asyncio
import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Nahnetz: regional supply, logistics and freight exchange."""


# -- the embedded stack --------------------------------------------------------------
@main.command()
@click.option("--seed/--no-seed", default=True, show_default=True,
              help="Seed the demo region and show it at work once the stack is ready.")
@click.option("--detach", is_flag=True, help="Return once everything is ready; stop later with `nahnetz down`.")
@click.option("--instances", "instances", multiple=True, metavar="N|SERVICE=N",
              help="Instances of each worker (N) or of one service's worker (SERVICE=N), sharing the "
                   "partitions in one consumer group; repeatable. Default: NAHNETZ_WORKER_INSTANCES, else 1.")
@click.option("--region", default=None, metavar="NAME",
              help="The region pack: kreis-hoexter (default) or ilzer-land. Default: NAHNETZ_REGION.")
def up(seed: bool, detach: bool, instances: tuple[str, ...], region: str | None) -> None:
    """Start broker, Redis and every service; wait until all are ready."""
    from .stack.supervisor import up as run_up

    sys.exit(run_up(seed=seed, detach=detach, instances=",".join(instances) if instances else None,
                    region=region))


@main.command()
def down() -> None:
    """Stop everything `nahnetz up` started, leaving no process behind."""
    from .stack.supervisor import down as run_down

    sys.exit(run_down())


@main.command()
def status() -> None:
    """Show each process of the stack, its URL and whether it is ready."""
    from .stack.supervisor import status as run_status

    sys.exit(run_status())


@main.command()
@click.argument("process", required=False)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
@click.option("-n", "--lines", default=50, show_default=True)
def logs(process: str | None, follow: bool, lines: int) -> None:
    """Print the logs of one process of the stack, or of all."""
    from .stack.supervisor import logs as run_logs

    sys.exit(run_logs(process, follow=follow, lines=lines))


@main.command()
@click.option("--days", type=click.IntRange(1, 366), required=True,
              help="How many days before today to simulate (market days among them: Thursday, Friday).")
@click.option("--orders-per-day", type=click.IntRange(1, 2000), default=60, show_default=True,
              help="Orders on an average market day.")
@click.option("--seed", "seed_value", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("--seed-region/--no-seed-region", default=True, show_default=True,
              help="Register the region's points, shops and goods on the first simulated day (idempotent).")
def simulate(days: int, orders_per_day: int, seed_value: int, seed_region: bool) -> None:
    """Run N past days of the region through the running stack (its clock moved), so the KPIs show trends."""
    from .stack.simulation import simulate_days

    sys.exit(simulate_days(days, orders_per_day, seed_value, seed_region))


# -- topics ----------------------------------------------------------------------------
@main.group()
def topics() -> None:
    """The topic registry."""


@topics.command("list")
def topics_list() -> None:
    """Print every topic with key, owner, partitions and event types."""
    from .topics import all_with_dead_letters

    for t in all_with_dead_letters():
        retention = "forever" if t.retention_ms < 0 else f"{t.retention_ms // 86_400_000} d"
        click.echo(f"{t.name:32} key={t.key:16} owner={t.owner:9} partitions={t.partitions} "
                   f"retention={retention:7} {' '.join(t.event_types)}")


@topics.command("create")
@click.option("--bootstrap", envvar="KAFKA_BOOTSTRAP", required=True, show_envvar=True)
@click.option("--replication-factor", default=1, show_default=True)
def topics_create(bootstrap: str, replication_factor: int) -> None:
    """Create every registered topic (and its dead-letter topic) that is missing."""
    from .messaging.admin import create_topics

    created = asyncio.run(create_topics(bootstrap, replication_factor=replication_factor))
    click.echo(f"created {len(created)} topic(s)" + (": " + ", ".join(created) if created else ""))


from .messaging.dead_letters_cli import dlq  # noqa: E402  (light: imports on use)

main.add_command(dlq)


# -- schemas ---------------------------------------------------------------------------
@main.group()
def schemas() -> None:
    """Event contracts: compatibility and the event catalogue."""


@schemas.command("check")
@click.option("--base", default="origin/main", show_default=True,
              help="Git revision whose history holds the released schemas (falls back to HEAD).")
def schemas_check(base: str) -> None:
    """Every schema must be backward and forward compatible with all its earlier versions."""
    from .contracts.compatibility import check_command

    sys.exit(check_command(base))


@schemas.command("release")
@click.option("--base", default="origin/main", show_default=True,
              help="Git revision whose history holds the released schemas (falls back to HEAD).")
def schemas_release(base: str) -> None:
    """Store each earlier version of a changed event in schemas/_released/, so old events still decode."""
    from .contracts.compatibility import release_command

    sys.exit(release_command(base))


@schemas.command("generate")
@click.option("--check", is_flag=True, help="Change nothing; fail when the committed classes lag behind the schemas.")
def schemas_generate(check: bool) -> None:
    """Write the typed record classes of nahnetz.records from schemas/."""
    from .avro import codegen

    if check:
        stale = codegen.stale()
        if stale:
            click.echo("nahnetz.records is out of date with schemas/ (" + ", ".join(stale)
                       + "): run `.venv/bin/nahnetz schemas generate` and commit", err=True)
            sys.exit(1)
        click.echo("nahnetz.records matches schemas/")
        return
    for path in codegen.write():
        click.echo(f"wrote {path}")


@schemas.command("catalogue")
@click.option("--out", default="build/events", show_default=True, type=click.Path())
def schemas_catalogue(out: str) -> None:
    """Write the AsyncAPI 3.0 document and a readable page of every topic and event."""
    from .contracts.asyncapi import write_catalogue

    for path in write_catalogue(out):
        click.echo(path)


# -- tokens ----------------------------------------------------------------------------
from .kit.roles import Role  # noqa: E402  (a tiny enum module; keeps --help instant)

_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_ttl(_ctx, _param, value: str) -> int:
    text = value.strip().lower()
    unit = _TTL_UNITS.get(text[-1:], None)
    number = text[:-1] if unit else text
    if not number.isdigit() or int(number) == 0:
        raise click.BadParameter(f"{value!r}: use seconds or a number with s, m, h or d, e.g. 12h")
    return int(number) * (unit or 1)


@main.command()
@click.option("--sub", required=True, help="The user id the token is for.")
@click.option("--role", required=True,
              type=click.Choice([r.value for r in Role]))
@click.option("--shop-id", help="For role shop: the one shop it may change.")
@click.option("--municipality", help="For role municipality: the area it may see.")
@click.option("--on-behalf-of", help="Act for this user (an assistant at a counter or phone).")
@click.option("--ttl", default="12h", show_default=True, callback=_parse_ttl,
              help="Lifetime: seconds, or with a unit s, m, h, d.")
@click.option("--secret", envvar="NAHNETZ_JWT_SECRET", show_envvar=True,
              help="HMAC secret; the development secret when unset (not in prod).")
def token(sub: str, role: str, shop_id: str | None, municipality: str | None,
          on_behalf_of: str | None, ttl: int, secret: str | None) -> None:
    """Print a signed bearer token for development, demos and tests."""
    import os

    from .kit.auth import issue_token
    from .kit.settings import DEV_JWT_SECRET

    if not secret:
        if os.environ.get("NAHNETZ_ENV") == "prod":
            raise click.UsageError("NAHNETZ_ENV is prod: give the real secret (--secret or NAHNETZ_JWT_SECRET)")
        secret = DEV_JWT_SECRET
    try:
        click.echo(issue_token(secret, sub, role, ttl=ttl, shop_id=shop_id,
                               municipality=municipality, on_behalf_of=on_behalf_of))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
