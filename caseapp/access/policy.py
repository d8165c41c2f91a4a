"""Who may do what to a case or a callback: one table per role, keyed by the relationship the person has with the
record (relationships.py decides which one holds). Every view and API that reads or acts on a case or a callback
asks `allows()` / `allows_callback()` through services.py; nothing else decides access to a record.

A case:                               advisor                    manager, admin
  assigned to them                    view, change, find         view, change, find
  they logged a call on it            view, change, find         view, change, find
  they hold a callback on it          view, change, find         view, change, find
  in the pool (unassigned, or an      view, change, find         view, change, find
  open callback nobody holds)
  found by its exact phone number     find, log a call           view, change, find
  or reference (taking a call)
  break-glass grant still running     view, change, find         view, change, find
  none of these                       -                          view, change, find

A callback:                           advisor                    manager, admin
  theirs (assigned, or handed to      view, act                  view, act
  them at a handover)
  in the pool                         view, act, claim           view, act, claim
  a colleague's                       view (if the case allows)  view, act
"""

from __future__ import annotations

from enum import StrEnum

from caseapp.auth.models import Role


class Relationship(StrEnum):
    ASSIGNED = "assigned"
    CALLED = "called"
    CALLBACK = "callback"
    POOL = "pool"
    LOOKUP = "lookup"
    GRANTED = "granted"
    NONE = "none"


class Action(StrEnum):
    #: open the record: the case page, its timeline, calls, assessments and callbacks
    VIEW = "view"
    #: change it: status, risk, notes, caller details, assessments, callbacks booked, alerts
    CHANGE = "change"
    #: appear in a list or a search result
    FIND = "find"
    #: log a call on it (the repeat-caller path: the number typed found it)
    LOG_CALL = "log_call"


class CallbackRelationship(StrEnum):
    HOLDER = "holder"
    POOL = "pool"
    COLLEAGUE = "colleague"


class CallbackAction(StrEnum):
    VIEW = "view"
    #: reschedule, reassign, start, record an attempt, cancel
    ACT = "act"
    CLAIM = "claim"


_EVERYTHING = frozenset(Action)
_WORKING = frozenset({Action.VIEW, Action.CHANGE, Action.FIND, Action.LOG_CALL})

#: role → relationship → what it allows on the case
CASE_ACCESS: dict[Role, dict[Relationship, frozenset[Action]]] = {
    Role.ADVISOR: {
        Relationship.ASSIGNED: _WORKING,
        Relationship.CALLED: _WORKING,
        Relationship.CALLBACK: _WORKING,
        Relationship.POOL: _WORKING,
        Relationship.LOOKUP: frozenset({Action.FIND, Action.LOG_CALL}),
        Relationship.GRANTED: _WORKING,
        Relationship.NONE: frozenset(),
    },
    Role.MANAGER: dict.fromkeys(Relationship, _EVERYTHING),
    Role.ADMIN: dict.fromkeys(Relationship, _EVERYTHING),
}

#: role → relationship → what it allows on the callback (viewing also needs the case's VIEW)
CALLBACK_ACCESS: dict[Role, dict[CallbackRelationship, frozenset[CallbackAction]]] = {
    Role.ADVISOR: {
        CallbackRelationship.HOLDER: frozenset({CallbackAction.VIEW, CallbackAction.ACT}),
        CallbackRelationship.POOL: frozenset(CallbackAction),
        CallbackRelationship.COLLEAGUE: frozenset({CallbackAction.VIEW}),
    },
    Role.MANAGER: dict.fromkeys(CallbackRelationship, frozenset(CallbackAction)),
    Role.ADMIN: dict.fromkeys(CallbackRelationship, frozenset(CallbackAction)),
}


def allows(role: Role, relationship: Relationship, action: Action) -> bool:
    return action in CASE_ACCESS[role][relationship]


def allows_callback(role: Role, relationship: CallbackRelationship, action: CallbackAction) -> bool:
    return action in CALLBACK_ACCESS[role][relationship]


def sees_everything(role: Role) -> bool:
    """The role needs no relationship to view and find any case (lists are not narrowed for it)."""
    return all(allows(role, Relationship.NONE, action) for action in (Action.VIEW, Action.FIND))


#: what made a break-glass use unusual, beyond being one (every use is listed for review; a flagged one also
#: tells the admins in the app)
FLAG_MANY_CASES = "many_cases"
FLAG_OFF_SHIFT = "off_shift"
FLAG_UNUSUAL_HOURS = "unusual_hours"
FLAG_LABELS = {
    FLAG_MANY_CASES: "Many cases in a short time",
    FLAG_OFF_SHIFT: "Not on shift",
    FLAG_UNUSUAL_HOURS: "At an unusual hour",
}
