"""Kombu's Redis transport, made to survive Redis going away while the worker holds unacknowledged tasks.

With `task_acks_late` a busy worker always holds some: the task it is running and any it has reserved. When the
connection to Redis breaks, the Celery consumer collects the broken connection (which detaches the transport from
its broker URL) and then closes it. Closing the channel tries to give the unacknowledged tasks back to Redis, and a
task that finishes meanwhile is acknowledged on that channel once the worker has reconnected; both need a new Redis
client, find no URL to build it from, and raise AttributeError. That is not a connection error, so Celery takes it
as unrecoverable and the worker exits: Redis restarting while a scan or a delivery ran left no worker at all.

Here such a channel raises what it is, a broker connection error, which Celery expects whenever a connection
breaks: it logs it and carries on reconnecting. The tasks concerned stay in Redis's unacked set (back in the queue
once the visibility timeout has passed) or, if Redis came back empty, are gone; the outbox sweeper covers both.
workers/app.py installs this transport for redis:// brokers, in the worker and beat processes (the web app only
publishes, and holds no unacknowledged task). Seen with Celery 5.7 and kombu 5.7; the Redis test in
tests/workers/test_worker_kills.py fails without it (drop it once that test passes on the stock transport).
"""

from __future__ import annotations

from typing import Any

import redis.exceptions
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        """Where to connect a new Redis client for this channel: nowhere, once its connection has been collected."""
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis.exceptions.ConnectionError("this channel's broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


#: the value for Celery's `broker_transport` setting
TRANSPORT = f"{__name__}:Transport"
