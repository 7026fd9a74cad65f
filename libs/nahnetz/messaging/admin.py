"""Create every registered topic on a broker, idempotently."""

from __future__ import annotations

import logging
from typing import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ..topics import Topic, all_with_dead_letters

log = logging.getLogger(__name__)


async def create_topics(
    bootstrap: str,
    topics: Iterable[Topic] | None = None,
    replication_factor: int = 1,
    with_config: bool = True,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Safe to run again and again (the topic-init job of every deployment).
    `with_config=False` leaves retention to the broker's defaults, for brokers
    that reject topic configs (the in-memory Tansu keeps nothing anyway).
    """
    wanted = list(topics if topics is not None else all_with_dead_letters())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        created: list[str] = []
        for topic in missing:
            new = NewTopic(
                topic.name,
                num_partitions=topic.partitions,
                replication_factor=replication_factor,
                topic_configs=topic.kafka_config() if with_config else {},
            )
            try:
                result = await admin.create_topics([new])
            except TopicAlreadyExistsError:
                continue  # another init job was quicker
            for name, code, *rest in getattr(result, "topic_errors", []) or []:
                if code not in (0, 36):  # 36: TOPIC_ALREADY_EXISTS
                    raise RuntimeError(f"creating topic {name}: error code {code} {rest}")
            created.append(topic.name)
        if created:
            log.info("created topics", extra={"topics": created})
        return created
    finally:
        await admin.close()
