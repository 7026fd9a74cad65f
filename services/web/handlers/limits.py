"""Sign-in attempts, limited per caller: the browser's address together with the
account or phone number tried, and the address alone at a higher bound. A stranger
failing at someone's account from elsewhere never locks its owner out."""

from __future__ import annotations

from redis.asyncio import Redis

from .. import keys

# The address alone may try this many times the per-account bound (a family or an
# office behind one address signs in to several accounts).
PER_ADDRESS_FACTOR = 4


class SignInLimiter:
    def __init__(self, redis: Redis, attempts: int, window_s: int):
        self.redis, self.attempts, self.window_s = redis, attempts, window_s

    def _keys(self, scope: str, client: str, account: str) -> list[tuple[str, int]]:
        return [(keys.attempts(scope, client, account.lower()), self.attempts),
                (keys.attempts(scope, client), self.attempts * PER_ADDRESS_FACTOR)]

    async def retry_after(self, scope: str, client: str, account: str) -> int | None:
        """Seconds until this caller may try again; None when they may now."""
        pairs = self._keys(scope, client, account)
        counts = await self.redis.mget([key for key, _ in pairs])
        for (key, bound), count in zip(pairs, counts):
            if count is not None and int(count) >= bound:
                ttl = await self.redis.ttl(key)
                return max(int(ttl), 1)
        return None

    async def failed(self, scope: str, client: str, account: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in self._keys(scope, client, account):
                # The window starts with the first failure (the embedded Redis 6.2 has no EXPIRE NX).
                pipe.set(key, 0, ex=self.window_s, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def succeeded(self, scope: str, client: str, account: str) -> None:
        await self.redis.delete(self._keys(scope, client, account)[0][0])
