"""Staff accounts in Redis (`web:account:{username}`), made by `nahnetz web add-account`."""

from __future__ import annotations

from redis.asyncio import Redis

from .. import keys
from ..domain.accounts import Account, hash_password, password_matches


class AccountStore:
    def __init__(self, redis: Redis):
        self.redis = redis

    async def put(self, account: Account, password: str) -> bool:
        """Create or replace; True when it is new."""
        record = account.as_record(hash_password(password))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.account(account.username))
            pipe.hset(keys.account(account.username), mapping=record)
            pipe.sadd(keys.ACCOUNTS, account.username)
            _, _, added = await pipe.execute()
        return bool(added)

    async def get(self, username: str) -> tuple[Account, str] | None:
        record = await self.redis.hgetall(keys.account(username.strip().lower()))
        if not record:
            return None
        return Account.from_record(record), record["password_hash"]

    async def verify(self, username: str, password: str) -> Account | None:
        """The account when the password is right; None otherwise (as slow either way)."""
        found = await self.get(username)
        if not password_matches(found[1] if found else None, password):
            return None
        return found[0] if found else None

    async def remove(self, username: str) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.account(username))
            pipe.srem(keys.ACCOUNTS, username)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def all(self) -> list[Account]:
        names = sorted(await self.redis.smembers(keys.ACCOUNTS))
        found = [await self.get(name) for name in names]
        return [account for account, _ in filter(None, found)]
