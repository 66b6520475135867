"""Giving an object that has no id the id it already has elsewhere, instead of a
new one (which would make it a second object in the room).

Two cases:

- joining (``match_room``): the first connect of a file to a room. Two people
  who open the same never-connected .blend both have a "Cube" without an id; the
  first to connect gives it an id, and the second one's "Cube" must adopt that
  id. A local object adopts the id of a room object that this file does not
  have, when they have the same name and type and the same data: every piece of
  data evidence both sides know must agree (the data block's name, and for a
  mesh its vertex and face counts). The room learns these once it holds data
  blocks; until then name and type decide. The match must be unique both ways,
  otherwise the object gets a new id (a duplicate is better than a wrong merge);
- undo (``match_history``): an undo step from before the ids were stamped
  brings back objects without ids. An id-less object takes back the id that had
  its name and type during this session, when exactly one such id is missing
  from the scene (ids the room still holds are tried first).
"""
from __future__ import annotations


class Evidence:
    """What tells an object apart without its id."""

    __slots__ = ('name', 'type', 'data')

    def __init__(self, name: str, type: str, data=None):
        self.name = name
        self.type = type
        self.data = dict(data or {})   # 'name', 'vertices', 'faces': whatever is known

    def matches(self, other: 'Evidence') -> bool:
        if self.name != other.name or self.type != other.type:
            return False
        return all(self.data[k] == other.data[k] for k in self.data.keys() & other.data.keys())

    def __repr__(self):
        return f'Evidence({self.name!r}, {self.type}, {self.data})'


def _unique_pairs(local, candidates, fits) -> list:
    """(key, id) pairs where ``fits`` links exactly one candidate to the local
    object and exactly one local object to that candidate."""
    links = {key: [oid for oid, ev in candidates if fits(lev, oid, ev)] for key, lev in local}
    taken = {}
    for key, oids in links.items():
        for oid in oids:
            taken[oid] = taken.get(oid, 0) + 1
    return [(key, oids[0]) for key, oids in links.items() if len(oids) == 1 and taken[oids[0]] == 1]


def match_room(local, room) -> list:
    """``local``: (key, Evidence) of objects without an id; ``room``: (id,
    Evidence) of room objects this file does not have."""
    return _unique_pairs(local, room, lambda lev, oid, rev: lev.matches(rev))


def match_history(local, missing, history: dict, live=frozenset()) -> list:
    """``missing``: ids this session knew that are not in the scene now;
    ``history``: id -> set of (name, type) it has had; ``live``: those of them
    the room still holds, which are tried first (an object deleted since is the
    less likely one to come back)."""
    def fits(lev, oid, _):
        return (lev.name, lev.type) in history.get(oid, ())
    first = _unique_pairs(local, [(oid, None) for oid in missing if oid in live], fits)
    done = {key for key, _ in first} | {oid for _, oid in first}
    rest = _unique_pairs([(k, e) for k, e in local if k not in done],
                         [(oid, None) for oid in missing if oid not in live and oid not in done], fits)
    return first + rest
