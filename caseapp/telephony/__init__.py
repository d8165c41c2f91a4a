"""Call events from the phone system: signed webhooks, one row per call, screen-pop and missed-call callbacks."""
