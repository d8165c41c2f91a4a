"""The whole beat schedule, in one place. Beat runs in UTC (intervals do not care about clock changes); the daily
entry keeps its local wall-clock time itself (workers/daily.py)."""

from datetime import timedelta
from typing import Any

from celery.schedules import crontab

from caseapp.tasks import Queue, TaskName
from workers.daily import DailyAt


def build_schedule(config: Any) -> dict[str, dict[str, Any]]:
    """The beat schedule for this app's settings (CASEAPP_SCAN_INTERVAL_SECONDS, CASEAPP_SWEEP_INTERVAL_SECONDS,
    CASEAPP_STALE_CASES_AT and CASEAPP_RETENTION_AT in CASEAPP_TIMEZONE)."""
    scan = float(config["SCAN_INTERVAL_SECONDS"])
    sweep = float(config["SWEEP_INTERVAL_SECONDS"])
    seal = float(config["AUDIT_SEAL_INTERVAL_SECONDS"])
    default, periodic = Queue.DEFAULT.value, Queue.PERIODIC.value
    return {
        # callbacks.remind_due -> periodic queue: outbox rows for callbacks whose reminder time (due - lead) has come.
        # `expires`: a scan queued while the workers were down is dropped; the next one does the same work.
        "remind-due-callbacks": {
            "task": str(TaskName.REMIND_DUE),
            "schedule": timedelta(seconds=scan),
            "options": {"queue": periodic, "expires": scan},
        },
        # callbacks.remind_due again -> periodic queue, at second 0 of every minute: callbacks are booked for a whole
        # minute (the booking page asks for hours and minutes), so with a lead of whole minutes their reminder time
        # is a minute boundary, and this scan sends them the moment it comes rather than up to a scan interval later
        "remind-due-at-the-minute": {
            "task": str(TaskName.REMIND_DUE),
            "schedule": crontab(),
            "options": {"queue": periodic, "expires": 60},
        },
        # callbacks.run_clocks -> periodic queue: every open state's clock (caseapp/callbacks/due.py): scheduled →
        # pool / managers told / missed; in progress with no outcome → advisor reminded / managers told; no answer
        # and no new time → advisor asked / pool / missed; handed over at the end of a shift and not accepted → pool
        "run-callback-clocks": {
            "task": str(TaskName.RUN_CLOCKS),
            "schedule": timedelta(seconds=scan),
            "options": {"queue": periodic, "expires": scan},
        },
        # reminders.sweep -> periodic queue: queue a delivery for each outbox row none will come for (never handed
        # to the broker, its task lost, or its delivery abandoned mid-send): a wiped Redis or a killed worker
        # loses nothing, and recovers within seconds (caseapp/reminders/sweeper.py)
        "sweep-outbox": {
            "task": str(TaskName.SWEEP_OUTBOX),
            "schedule": timedelta(seconds=sweep),
            "options": {"queue": periodic, "expires": sweep},
        },
        # audit.seal -> periodic queue: seal the audit rows committed since the last run into the hash chain
        # (caseapp/audit/chain.py); one sealer at a time (an advisory lock), so an overlapping run does nothing
        "seal-audit-trail": {
            "task": str(TaskName.SEAL_AUDIT_TRAIL),
            "schedule": timedelta(seconds=seal),
            "options": {"queue": periodic, "expires": seal},
        },
        # cases.notify_stale -> periodic queue: every day at STALE_CASES_AT local time (07:00 GMT in winter, 07:00
        # BST in summer), the managers are told in-app how many open cases nobody has reached for STALE_CASE_DAYS
        # days with no callback open (nobody when there are none; once a day however often it runs)
        "notify-stale-cases": {
            "task": str(TaskName.NOTIFY_STALE_CASES),
            "schedule": DailyAt(str(config["STALE_CASES_AT"]), str(config["TIMEZONE"])),
            "options": {"queue": periodic},
        },
        # retention.apply -> default queue: every day at RETENTION_AT local time, anonymise the cases closed
        # RETAIN_CLOSED_CASES_MONTHS ago and the callers all of whose cases are (caseapp/retention), in batches
        "apply-retention": {
            "task": str(TaskName.APPLY_RETENTION),
            "schedule": DailyAt(str(config["RETENTION_AT"]), str(config["TIMEZONE"])),
            "options": {"queue": default},
        },
        # caller_flags.expire -> periodic queue: close the caller flags whose expiry has passed (ended at their expiry,
        # one audit event each); reads already ignore them, so a late run never keeps a flag in force
        "expire-caller-flags": {
            "task": str(TaskName.EXPIRE_CALLER_FLAGS),
            "schedule": timedelta(seconds=scan),
            "options": {"queue": periodic, "expires": scan},
        },
        # calls.purge_stale_drafts -> default queue: delete log-a-call drafts untouched for 7 days
        "purge-stale-drafts": {
            "task": str(TaskName.PURGE_STALE_DRAFTS),
            "schedule": timedelta(hours=1),
            "options": {"queue": default},
        },
        # telephony.purge -> default queue: telephony events and refused requests older than
        # TELEPHONY_RETENTION_DAYS deleted, the numbers on calls that old cleared (caseapp/telephony/retention.py)
        "purge-telephony": {
            "task": str(TaskName.PURGE_TELEPHONY),
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
