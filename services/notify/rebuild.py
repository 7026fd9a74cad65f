"""Clear the notify service's Redis state.

    python -m services.notify.rebuild --yes

Notify keeps no read model to rebuild: its only keys are the processed markers
`nahnetz:processed:notify.deliver:<notification_id>` (keys.py), which make each
notification go out once. This deletes them and nothing else. Stop the worker
first. What happens then depends on the consumer group the worker starts with:

- the same NOTIFY_APP_ID: it goes on after its committed offsets, so nothing old
  is sent again; only a request repeated later for a notification already sent
  (same notification id) is sent a second time, as nothing remembers it any more.
- a new NOTIFY_APP_ID: it reads notify.requests from its beginning and sends every
  request still on the topic again. Do that only where that is wanted (a test
  stack), never with residents on the other end.

(The kit's closing line asks every service for a new app id; for notify, read it
with the above in mind.)
"""

from __future__ import annotations

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching, rebuild_command

from . import keys


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete notify's markers; return how many keys went."""
    return await delete_matching(redis, keys.marker_patterns())


if __name__ == "__main__":
    rebuild_command(__doc__, "the notify service's processed markers", "NOTIFY_APP_ID", clear_state,
                    after="restart the worker with the SAME NOTIFY_APP_ID (a new group would resend every message)")
