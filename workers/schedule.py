"""The whole beat schedule, in one place. Beat runs in UTC."""

from datetime import timedelta

from caseapp.tasks import Queue, TaskName

BEAT_SCHEDULE = {
    # sessions.purge_expired -> default queue: drop login-session rows that ended 30+ days ago
    "purge-expired-sessions": {
        "task": str(TaskName.PURGE_EXPIRED_SESSIONS),
        "schedule": timedelta(hours=1),
        "options": {"queue": Queue.DEFAULT.value},
    },
}
