"""The whole beat schedule, in one place. Beat runs in UTC (intervals do not care about clock changes)."""

from datetime import timedelta
from typing import Any

from caseapp.tasks import Queue, TaskName


def build_schedule(config: Any) -> dict[str, dict[str, Any]]:
    """The beat schedule for this app's settings (CASEAPP_SCAN_INTERVAL_SECONDS, CASEAPP_SWEEP_INTERVAL_SECONDS)."""
    scan = float(config["SCAN_INTERVAL_SECONDS"])
    sweep = float(config["SWEEP_INTERVAL_SECONDS"])
    default, periodic = Queue.DEFAULT.value, Queue.PERIODIC.value
    return {
        # reminders.scan_due -> periodic queue: outbox rows for callbacks whose reminder time (due - lead) has come.
        # `expires`: a scan queued while the workers were down is dropped; the next one does the same work.
        "scan-due-reminders": {
            "task": str(TaskName.SCAN_DUE_REMINDERS),
            "schedule": timedelta(seconds=scan),
            "options": {"queue": periodic, "expires": scan},
        },
        # callbacks.escalate -> periodic queue: due + assignee off shift → pool; not started +15 min → managers told;
        # not started +60 min → missed
        "escalate-callbacks": {
            "task": str(TaskName.ESCALATE_CALLBACKS),
            "schedule": timedelta(seconds=scan),
            "options": {"queue": periodic, "expires": scan},
        },
        # reminders.sweep -> periodic queue: re-queue outbox rows left pending/sending longer than
        # CASEAPP_OUTBOX_STALE_SECONDS (a wiped Redis or a killed worker loses nothing)
        "sweep-outbox": {
            "task": str(TaskName.SWEEP_OUTBOX),
            "schedule": timedelta(seconds=sweep),
            "options": {"queue": periodic, "expires": sweep},
        },
        # calls.purge_stale_drafts -> default queue: delete log-a-call drafts untouched for 7 days
        "purge-stale-drafts": {
            "task": str(TaskName.PURGE_STALE_DRAFTS),
            "schedule": timedelta(hours=1),
            "options": {"queue": default},
        },
        # sessions.purge_expired -> default queue: drop login-session rows that ended 30+ days ago
        "purge-expired-sessions": {
            "task": str(TaskName.PURGE_EXPIRED_SESSIONS),
            "schedule": timedelta(hours=1),
            "options": {"queue": default},
        },
    }
