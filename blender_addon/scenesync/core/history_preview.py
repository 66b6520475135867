"""Looking at the past without writing it ([B5]): what a preview shows, and
what it keeps aside until it ends.

``Preview`` starts from the live scene (every synced object's fields as
Blender held them when the preview began) and, for each moment shown, works
out the writes that make Blender show that moment: fields of live objects set
to their past values, live objects that did not exist then hidden, and
objects that existed then but not now shown as stand-ins ("ghosts", which
carry no id and are never synced). Only what differs from what Blender shows
already is written, so scrubbing a scene where one object moved writes one
object. ``back()`` gives the writes that bring the live scene back exactly.

``Hold`` keeps the agent's messages while a preview lasts: nothing is merged
into a scene that shows the past (a merge would take the past values for
local edits and send them). On leaving, the live scene is put back first and
the held messages are then handled in order, as if they had just arrived, so
everything that came meanwhile is shown ([B5]). The people list is updated as
messages come, since it changes nothing in the scene.
"""
from __future__ import annotations

from .history_recording import PastObject


class Plan:
    """The writes for one step, in the order the glue applies them."""

    __slots__ = ('remove', 'create', 'names', 'parents', 'visible', 'xforms', 'bones')

    def __init__(self):
        self.remove = []       # ghost ids to remove
        self.create = []       # PastObjects to show as ghosts
        self.names = {}        # id -> name
        self.parents = {}      # id -> parent id or None
        self.visible = {}      # id -> bool
        self.xforms = {}       # id -> xform
        self.bones = {}        # id -> {bone -> xform}

    def __len__(self):
        return (len(self.remove) + len(self.create) + len(self.names) + len(self.parents) + len(self.visible)
                + len(self.xforms) + sum(len(b) for b in self.bones.values()))

    def touched(self) -> set:
        return set(self.names) | set(self.parents) | set(self.visible) | set(self.xforms) | set(self.bones)


def _copy(p: PastObject) -> PastObject:
    return PastObject(p.id, p.name, p.type, p.parent, p.visible, p.xform, dict(p.pose or {}), p.data, p.data_seq)


class Preview:
    def __init__(self, live: dict):
        """``live``: id -> PastObject, the synced objects as Blender shows them now."""
        self.live = {oid: _copy(p) for oid, p in live.items()}
        self.shown = {oid: _copy(p) for oid, p in live.items()}
        self.ghosts = {}        # id -> PastObject shown by a stand-in
        self.steps = 0
        # Every live object whose transform (or bones) or parent a step wrote:
        # leaving puts back what Blender derives from those too.
        self.moved = set()
        self.reparented = set()

    def step(self, target: dict) -> Plan:
        """The writes that make Blender show ``target`` (id -> PastObject)."""
        plan = Plan()
        self.steps += 1
        for oid, live in self.live.items():
            t = target.get(oid)
            if t is None:
                # It did not exist then: hidden, the rest as it is.
                self._diff(plan, oid, self.shown[oid], name=None, parent=None, visible=False, xform=None, pose=None, keep=True)
                continue
            pose = None
            if live.pose or t.pose:
                # A bone the past has no value for had not been moved yet: its live value.
                pose = {b: t.pose.get(b, x) for b, x in (live.pose or {}).items()}
                pose.update({b: x for b, x in (t.pose or {}).items() if b not in pose})
            self._diff(plan, oid, self.shown[oid], t.name or live.name, t.parent, t.visible,
                       t.xform or live.xform, pose)
        for oid in [g for g in self.ghosts if g not in target or g in self.live]:
            plan.remove.append(oid)
            del self.ghosts[oid]
        for oid, t in target.items():
            if oid in self.live:
                continue
            g = self.ghosts.get(oid)
            if g is None:
                self.ghosts[oid] = _copy(t)
                plan.create.append(_copy(t))
                continue
            self._diff(plan, oid, g, t.name or g.name, t.parent, t.visible, t.xform or g.xform, dict(t.pose or {}))
        for oid in set(plan.xforms) | set(plan.bones):
            if oid in self.live:
                self.moved.add(oid)
        self.reparented.update(oid for oid in plan.parents if oid in self.live)
        return plan

    def back(self) -> Plan:
        """The writes that bring the live scene back (and remove every ghost)."""
        return self.step(self.live)

    @staticmethod
    def _diff(plan, oid, shown, name, parent, visible, xform, pose, keep=False) -> None:
        if not keep and name is not None and name != shown.name:
            plan.names[oid] = shown.name = name
        if not keep and parent != shown.parent:
            plan.parents[oid] = shown.parent = parent
        if visible != shown.visible:
            plan.visible[oid] = shown.visible = visible
        if not keep and xform is not None and xform != shown.xform:
            plan.xforms[oid] = shown.xform = xform
        if not keep and pose:
            changed = {b: x for b, x in pose.items() if shown.pose.get(b) != x}
            if changed:
                plan.bones[oid] = changed
                shown.pose.update(changed)

    def renamed(self, oid: str, name: str) -> None:
        """Blender gave a written name a suffix (.001): remember what it shows."""
        p = self.shown.get(oid) or self.ghosts.get(oid)
        if p is not None:
            p.name = name


class Hold:
    """Agent messages received while previewing, in order."""

    def __init__(self):
        self.messages = []
        self.agent_exited = False

    def take(self, session) -> int:
        if session.agent is None:
            return 0
        got = session.take_messages()
        for m in got:
            t = m.get('type')
            if t == 'peers':
                session.peers = m['peers']
                session.changed = True
            elif t == '_exit':
                self.agent_exited = True
            self.messages.append(m)
        return len(got)

    def replay(self, session, world) -> int:
        """Handles the held messages in order (after the live scene is back)."""
        msgs, self.messages = self.messages, []
        n = 0
        for m in msgs:
            if session.agent is None and m.get('type') != '_exit':
                break
            session.handle(world, m)
            n += 1
        session._commit()
        return n


def past_meshes(scene: dict, live_data: dict, live_hash) -> dict:
    """The live mesh objects that showed other geometry at a moment (a scene
    answer): id -> (data id, the version's position, its hash). ``live_data``
    maps each live object to the data id it shows now; ``live_hash(did)`` is
    the hash of the geometry the room holds for it now (None when unknown).
    An object that showed another data block then, or geometry whose bytes
    were not all in yet, keeps what it shows."""
    blocks = {d['id']: d for d in scene.get('data') or [] if isinstance(d, dict) and isinstance(d.get('id'), str)}
    out = {}
    for o in scene.get('objects') or []:
        if not isinstance(o, dict):
            continue
        oid, did = o.get('id'), o.get('data')
        if not isinstance(oid, str) or o.get('type') != 'MESH' or not isinstance(did, str) or live_data.get(oid) != did:
            continue
        b = blocks.get(did)
        g = b.get('geometry') if b else None
        if not isinstance(g, dict) or g.get('pending') or not isinstance(g.get('hash'), str) or not isinstance(b.get('seq'), int):
            continue
        if g['hash'] != live_hash(did):
            out[oid] = (did, b['seq'], g['hash'])
    return out
