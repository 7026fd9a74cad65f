"""The fault campaign, small: a few hundred orders while, in turn, each worker type
is killed hard (SIGKILL) and started again and Redis is restarted; then, from the
topics: every order decided, none lost, none decided twice, no unit oversold, no
compartment double-booked, nothing dead-lettered (`nahnetz.testing.faults`; the
full campaign is benchmarks/faults/run.py)."""

from __future__ import annotations

import pytest

from nahnetz.testing.faults import ALL_FAULTS, CampaignPlan, FaultCampaign

from .e2e_support import E2EPlatform

pytestmark = pytest.mark.e2e

PLAN = CampaignPlan(orders=240, rate=8.0, products=6, stock=30, points=3, compartments=30, faults=ALL_FAULTS,
                    decide_timeout=120.0, settle_timeout=60.0)


async def test_orders_survive_every_worker_killed_in_turn_and_a_redis_restart(platform: E2EPlatform,
                                                                               unique: str) -> None:
    campaign = FaultCampaign(platform.stack, PLAN, platform=platform, say=print, label=f"fc{unique}")
    report = await campaign.run()
    print(report.summary())
    report.check()
    # The campaign did what it says: every fault happened, and it was not all rejections.
    assert [f.target for f in report.faults] == list(ALL_FAULTS)
    assert all(f.back_after is not None for f in report.faults)
    assert report.outcomes["OrderConfirmed"] > 0 and report.outcomes["OrderRejected"] > 0
    assert report.accepted == PLAN.orders, dict(report.refused)
