"""Referrals: the services suggested for a case, those offered to the caller (with any commercial link disclosed),
and each referral's progress from sent to admitted."""
