"""The security suite, built from the URL map and the OpenAPI document so that a new endpoint, parameter, field or
form is covered without editing it: every route × role (test_access), CSRF (test_csrf), session fixation
(test_sessions), sign-in brute force (test_brute_force), XSS (test_xss), SQL injection (test_injection), bodies and
text no client should send (test_bodies), redirect targets and header values (test_headers). It runs on the real
PostgreSQL and Redis (marker `integration`), on one data set per module (conftest.py)."""
