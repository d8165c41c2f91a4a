-- pgbench: what logging the first call of a new caller does, in raw SQL, one transaction per call: upsert the caller,
-- open a case, insert the call (its report triggers fire), the audit rows. :advisor and :run are given with -D.
\set n random(0, 99999999)
BEGIN;
INSERT INTO callers (phone_e164, relationship, consent_callback, consent_voicemail, consent_sms)
  VALUES ('+4479' || lpad(((:run * 1000000 + :client_id * 10000000 + :n) % 100000000)::text, 8, '0'), 'self', false, false, false)
  ON CONFLICT (phone_e164) DO UPDATE SET phone_e164 = excluded.phone_e164 RETURNING id AS caller \gset
INSERT INTO cases (reference_year, caller_id, status, assigned_advisor_id, last_contact_at, version)
  VALUES (2026, :caller, 'new', :advisor, now(), 1) RETURNING id AS case_id \gset
INSERT INTO calls (call_type, case_id, caller_id, advisor_id, direction, channel, started_at, local_date, local_hour,
                   reason, tags)
  VALUES ('data', :case_id, :caller, :advisor, 'inbound', 'phone', now(), (now() AT TIME ZONE 'Europe/London')::date,
          extract(hour FROM now() AT TIME ZONE 'Europe/London')::int, 'Asked about detox', '[]') RETURNING id AS call \gset
INSERT INTO audit_events (actor_id, action, entity_type, entity_id, request_id, ip, detail) VALUES
  (:advisor, 'caller.created', 'caller', :caller::text, md5(random()::text), '127.0.0.1', '{}'),
  (:advisor, 'case.opened', 'case', :case_id::text, md5(random()::text), '127.0.0.1', '{}'),
  (:advisor, 'call.logged', 'call', :call::text, md5(random()::text), '127.0.0.1',
   json_build_object('call_type', 'data', 'case_id', :case_id, 'caller_id', :caller));
COMMIT;
