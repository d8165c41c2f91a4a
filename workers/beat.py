"""RedBeat, made to survive Redis going away and coming back empty.

Plain RedBeat stops beat when Redis is unreachable (the lock extension raises), and after a Redis restart without
persistence (or a FLUSHALL) its schedule and lock keys are gone, so it would tick an empty schedule. This scheduler
waits out an outage, re-installs the schedule when its keys vanish, and re-takes the lock only if no other beat
holds it: two beat processes still never both fire. Its entries can also keep a DailyAt schedule (workers/daily.py).
"""

import json
import logging
from typing import Any

import redis.exceptions
from redbeat.decoder import RedBeatJSONDecoder, RedBeatJSONEncoder
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, RedBeatScheduler, RedBeatSchedulerEntry, get_redis

from workers.daily import DailyAt

logger = logging.getLogger(__name__)


class _Encoder(RedBeatJSONEncoder):
    def default(self, obj: Any) -> Any:
        if isinstance(obj, DailyAt):
            return {"__type__": DailyAt.JSON_TYPE, "at": obj.at, "zone": obj.zone}
        return super().default(obj)


class _Decoder(RedBeatJSONDecoder):
    def dict_to_object(self, d: dict[str, Any]) -> Any:
        if d.get("__type__") == DailyAt.JSON_TYPE:
            return DailyAt(d["at"], d["zone"])
        return super().dict_to_object(d)


class WallClockEntry(RedBeatSchedulerEntry):
    """RedBeat's entry, able to keep a DailyAt schedule in Redis (its own JSON knows intervals, crontabs, rrules)."""

    @staticmethod
    def decode_definition(definition: Any) -> Any:
        return json.loads(definition, cls=_Decoder)

    def save(self) -> "WallClockEntry":
        """RedBeatSchedulerEntry.save (celery-redbeat 2.4), with the definition written by our encoder."""
        definition = {
            "name": self.name,
            "task": self.task,
            "args": self.args,
            "kwargs": self.kwargs,
            "options": self.options,
            "schedule": self.schedule,
            "enabled": self.enabled,
        }
        meta = {"last_run_at": self.last_run_at}
        with get_redis(self.app).pipeline() as pipe:
            pipe.hset(self.key, "definition", json.dumps(definition, cls=_Encoder))
            pipe.hsetnx(self.key, "meta", json.dumps(meta, cls=RedBeatJSONEncoder))
            pipe.zadd(self.app.redbeat_conf.schedule_key, {self.key: self.score})
            pipe.execute()
        return self


class ResilientRedBeatScheduler(RedBeatScheduler):
    Entry = WallClockEntry
    #: seconds between checks while Redis is unreachable or another beat holds the lock
    wait_interval = 2.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            if self.lock_key and not self._hold_lock():
                return self._wait()
            self._reinstall_schedule_if_wiped()
            return float(super().tick(*args, **kwargs))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            logger.warning("beat: Redis unreachable (%s); trying again in %ss", type(exc).__name__, self._wait())
            return self._wait()
        except redis.exceptions.LockError:
            logger.warning("beat: lost the beat lock; standing by")
            return self._wait()

    def _wait(self) -> float:
        return min(self.wait_interval, float(self.max_interval))

    def _hold_lock(self) -> bool:
        """True when this beat holds the lock (taking it if it is free, e.g. after Redis came back empty)."""
        lock: Any = getattr(self, "lock", None)
        if lock is None:
            client = get_redis(self.app)
            lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
            lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
            self.lock = lock
        if lock.owned():
            return True
        if lock.acquire(blocking=False):
            logger.info("beat: acquired the beat lock")
            return True
        return False

    def _reinstall_schedule_if_wiped(self) -> None:
        conf = self.app.redbeat_conf
        if conf.schedule and not get_redis(self.app).exists(conf.statics_key):
            logger.warning("beat: the schedule is missing from Redis (restarted or flushed); installing it again")
            self.setup_schedule()
