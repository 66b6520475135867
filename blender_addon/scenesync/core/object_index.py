"""The id -> object index of the synced scene, kept between main-thread calls.

Finding an object by its id with a scan of the scene costs about 1 µs per object
in Python (5 ms at 5,000 objects), and a remote change arrives up to 100 times a
second. So the index is built once and then kept up to date by what changes the
scene: the add-on's own creations and deletions, and the depsgraph handler's
reports (an object new to us, a Scene or Collection update that may have removed
some). It is thrown away, and rebuilt on first use, only after an undo or a file
load, when Blender may have freed or moved every object.

Holding Blender objects across calls is safe only with checks: an object an
operator deleted raises ``ReferenceError`` when touched, and an object can lose
or change its id. Each entry is checked once per main-thread call (``begin``)
before it is handed out; a failed check rebuilds the index (at most once per
call). Membership of the scene is not checked per entry (that costs a scan):
an object unlinked from the scene shows as a Scene or Collection update, and
``check_removed`` then finds it by comparing counts first.

The index knows nothing of bpy: ``io`` is the scene access (the add-on's
BlenderWorld passes one on bpy; the unit tests a fake), with
``objects()`` (the synced scene's objects, all of them), ``count()`` (their
number, cheaply), ``id_of(o)``, ``pointer(o)`` (a plain int that tells objects
apart while they live) and ``synced(o)`` (not linked library data).
"""
from __future__ import annotations


class ObjectIndex:
    def __init__(self, io):
        self.io = io
        self.entries = {}       # id -> (object, pointer)
        self.valid = False      # False: rebuilt on first use
        self.count = -1         # the scene's object count the index agrees with
        self.generation = 0     # bumped at every rebuild or invalidation (cached lists check it)
        self.rebuilds = 0       # full scans so far (tests and benchmarks read it)
        self.lost = set()       # ids a rebuild dropped, not reported by check_removed yet
        self._unindexed = []    # synced objects the last rebuild left out (no id, or a copied one)
        self._checked = set()   # ids checked in this main-thread call
        self._rebuilt_in_call = False

    # -- main-thread calls ------------------------------------------------------

    def begin(self) -> None:
        """A new main-thread call: every entry is checked again before use."""
        self._checked = set()
        self._rebuilt_in_call = False

    def invalidate(self) -> None:
        """After undo or a file load: nothing held may be touched any more."""
        self.entries = {}
        self.valid = False
        self.count = -1
        self.generation += 1
        self.lost = set()       # whoever invalidates compares everything (core/undo.py)
        self._checked = set()

    def rebuild(self) -> None:
        """Indexes every object of the scene that has an id (stamping none). Of
        two objects carrying one id (a duplicate not seen yet), the one the index
        already held keeps it, else the first."""
        io = self.io
        old = {oid: p for oid, (_o, p) in self.entries.items()}
        entries, n, left = {}, 0, []
        for o in io.objects():
            n += 1
            if not io.synced(o):
                continue
            oid = io.id_of(o)
            if not oid:
                left.append(o)
                continue
            p = io.pointer(o)
            if oid not in entries or old.get(oid) == p:
                if oid in entries:
                    left.append(entries[oid][0])
                entries[oid] = (o, p)
            else:
                left.append(o)
        self._unindexed = left
        if self.valid:
            # Deleted between two structure checks: check_removed still reports them.
            self.lost.update(oid for oid in self.entries if oid not in entries)
        self.entries, self.valid, self.count = entries, True, n
        self.generation += 1
        self.rebuilds += 1
        self._checked = set(entries)
        self._rebuilt_in_call = True

    # -- reading ----------------------------------------------------------------

    def get(self, oid):
        """The object holding ``oid`` in the synced scene, or None."""
        if not self.valid:
            self.rebuild()
        e = self.entries.get(oid)
        if e is None:
            return None
        if oid in self._checked:
            return e[0]
        if self._alive(e[0], oid):
            self._checked.add(oid)
            return e[0]
        # Deleted or re-stamped behind our back: trust nothing held, look again.
        if self._rebuilt_in_call:
            self.entries.pop(oid, None)
            self.lost.add(oid)
            return None
        self.rebuild()
        e = self.entries.get(oid)
        return e[0] if e is not None else None

    def pointer(self, oid):
        e = self.entries.get(oid)
        return e[1] if e is not None else None

    def ids(self):
        if not self.valid:
            self.rebuild()
        return list(self.entries)

    def _alive(self, o, oid) -> bool:
        try:
            return self.io.id_of(o) == oid
        except ReferenceError:
            return False

    # -- keeping it up to date ------------------------------------------------------

    def put(self, oid: str, o, new_in_scene: bool = False) -> None:
        """``o`` holds ``oid`` now; ``new_in_scene``: it was just added to the scene."""
        self.entries[oid] = (o, self.io.pointer(o))
        self._checked.add(oid)
        if new_in_scene and self.count >= 0:
            self.count += 1

    def replace(self, entries: dict, count: int) -> None:
        """The index a full scan made: id -> (object, pointer); ``count``: the
        scene's objects, all of them. Its caller compares everything, so
        nothing lost before is left to report."""
        self.entries, self.valid, self.count = dict(entries), True, count
        self.lost = set()
        self.generation += 1
        self.rebuilds += 1
        self._checked = set(self.entries)
        self._rebuilt_in_call = True

    def remove(self, oid: str, left_scene: bool = True) -> None:
        """Before the object holding ``oid`` is deleted (or left the scene)."""
        if self.entries.pop(oid, None) is not None and left_scene and self.count >= 0:
            self.count -= 1
        self._checked.discard(oid)
        self.lost.discard(oid)

    def check_removed(self):
        """After a Scene or Collection update: (ids whose object left the scene,
        objects in the scene the index has never seen). Costs one count when the
        scene holds as many objects as the index expects, a pass over the scene
        only when it does not."""
        if not self.valid:
            self.rebuild()
            return self._take_lost(), self._unindexed
        io = self.io
        if io.count() == self.count:
            return self._take_lost(), []
        live, n = {}, 0
        for o in io.objects():
            n += 1
            live[io.pointer(o)] = o
        gone = []
        for oid, (o, p) in list(self.entries.items()):
            other = live.get(p)
            # A freed object's address can be reused by a new one: the id tells.
            if other is None or not self._alive(other, oid):
                gone.append(oid)
                del self.entries[oid]
                self._checked.discard(oid)
        held = {p for _o, p in self.entries.values()}
        unseen = [o for p, o in live.items() if p not in held and io.synced(o)]
        self.count = n
        return self._take_lost() + gone, unseen

    def _take_lost(self) -> list:
        lost, self.lost = [oid for oid in self.lost if oid not in self.entries], set()
        return lost
