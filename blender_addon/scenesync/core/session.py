"""One connection of this Blender to a room: what to send, what to apply.

Everything here runs on Blender's main thread (the depsgraph handler and the
timer), so there is no locking; only the agent's reader thread is concurrent,
and it talks to us through a queue (core/agent_process.py).

Local edits: the glue tells us which objects changed; core/capture.py diffs
them against the base (core/shadow.py) and coalesces transforms and bones per
object (core/coalescer.py); everything one call produced goes out as one line,
which is one Yjs transaction and one log entry.

Remote changes (apply): ``pump`` takes the agent's messages into the inbox
(core/inbox.py) and applies them for about ``budget`` seconds per tick (more
when they have waited), merging each value three ways with the base and
Blender (core/merge.py); what is left waits for the next tick.

While not capturing (disconnected, or connecting), the glue still reports
transform and pose edits of objects the base knows, and the session notes when
each channel changed (``note_offline``): on reconnect those edits are sent with
that time, so an edit someone else made later wins over them ([B3]).
"""
from __future__ import annotations

import sys
import time

from . import capture, merge
from . import protocol as P
from . import xform as X
from .coalescer import Coalescer
from .content_sync import MESSAGES as CONTENT_MESSAGES, ContentSync
from .inbox import Inbox
from .inflight import InFlight
from .shadow import UNKNOWN

# y-websocket reports nothing but 'connecting' while it has never reached the
# server, so no 'offline' may come: after this long the journal is used as is.
SYNC_WAIT = 3.0
# Applying remote changes per timer tick (at 1,000 a second, about 75 µs each,
# a tick rarely needs it): a burst is spread over the next ticks, not felt as a
# stutter of the viewport.
APPLY_BUDGET = 0.004
# A backlog gets a budget that grows with the age of its oldest message (one
# more APPLY_BUDGET per CATCH_UP waited), so a machine too busy to keep up
# with 4 ms a tick catches up in longer ticks instead of falling ever further behind.
CATCH_UP = 0.1

STATUS_LABELS = {
    'disconnected': 'Disconnected', 'starting': 'Starting agent', 'connecting': 'Connecting',
    'synced': 'Synced', 'offline': 'Offline: edits are kept', 'error': 'Error',
}


class Session:
    def __init__(self, clock=time.monotonic, interval: float | None = None, log=None, wall=time.time,
                 timer=None, budget: float = APPLY_BUDGET):
        self.clock = clock
        # What the apply budget is measured with: a fine clock, or a test's own
        # (which then alone decides when a tick's budget is spent).
        self.timer = timer or (time.perf_counter if clock is time.monotonic else clock)
        self.budget = budget
        self.inbox = Inbox()          # agent messages not applied yet
        self.wall = wall              # seconds since the epoch: when an offline edit happened
        self.co = Coalescer() if interval is None else Coalescer(interval)
        self.base = {}
        self.fl = InFlight()
        self.agent = None
        self.target = None            # (url, room) the base belongs to
        self.status = 'disconnected'
        self.error = ''
        self.notice = ''              # not an error: why the session ended, a second journal, ...
        self.detail = ''              # what the agent said about the connection (status detail)
        self.peers = []
        self.scene_id = None          # the Blender scene the session is bound to ([B4])
        self.joining = False          # first connect of this scene to this room: adopt ids (core/adopt.py)
        self.names = {}               # id -> {(name, type)} it had this session (undo, core/adopt.py)
        self.removed = {}             # id -> 'local' | 'remote': who deleted it, this session
        self.edited = {}              # key -> ms since the epoch: edits made while not capturing
        self.unrecorded_at = None     # when edits nobody saw were made at the latest (a loaded file's mtime)
        self.undo_push = None         # a message: the glue pushes an undo step with it
        self._seen = {}               # id -> last xform / ('pose', id) -> last pose seen while not capturing
        self.capturing = False        # off until Blender and the doc were reconciled
        self.content_target = None    # (url, room) the content base belongs to
        self.pending_parents = {}     # child id -> parent id not created yet
        self.selection = None
        self.replies = 0
        self.ops_sent = 0             # edits sent this session (tests and benchmarks read it)
        self.changed = True           # the UI has something new to show
        self.log = log or (lambda msg: print('scenesync:', msg, file=sys.stderr))
        self._out = []
        self._after_synced = False
        self._await_sync = False
        self._offline_request = None
        self._connected_at = 0.0
        # Scene content (data blocks, collections, camera); its world is set by the glue.
        self.content = ContentSync(clock=clock)

    # -- connection ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.agent is not None

    def connect(self, agent, target) -> None:
        if target != self.target:
            # A base from another room would turn that room's objects into local deletions.
            self.reset_base({}, target)
        # With nothing known of this room, objects without an id may be the room's own (core/adopt.py).
        self.joining = not self.base
        self.agent = agent
        self.inbox.clear()
        self.fl = InFlight()
        self.co.clear()
        self.pending_parents = {}
        self.capturing = False
        self.selection = None
        self.status, self.error, self.notice, self.detail, self.peers = 'starting', '', '', '', []
        self.changed = True
        # Blender and the doc are reconciled only once the agent has synced with
        # the server (or found it unreachable): edits made while disconnected are
        # then written after everything the server had, not concurrently with it.
        self._await_sync = True
        self._offline_request = None
        self._connected_at = self.clock()
        if target != self.content_target:
            self.content.reset()
        self.content_target = target

    def disconnect(self) -> None:
        if self.agent is None:
            return
        # A drag's last held value still goes out before the agent stops.
        self.flush()
        agent, self.agent = self.agent, None
        agent.stop()
        self.inbox.clear()    # what the stopped agent said is no more the room's latest
        self.capturing = False
        self.status, self.peers, self.detail = 'disconnected', [], ''
        self._seen = {}
        self.changed = True

    def end(self, notice: str) -> None:
        """Ends the session for good (another file was loaded): nothing of what
        Blender holds now belongs to the room, so the base goes too."""
        self.disconnect()
        self.reset_base({}, None)
        self.target = self.scene_id = None
        self.notice = notice
        self.log(notice)
        self.changed = True

    def flush(self) -> None:
        """Sends every held value now (before the agent stops or a file is replaced)."""
        if self.agent is not None:
            self._flush_due(self.clock(), force=True)
        self._commit()

    def request_scene(self) -> int:
        """Asks for the whole scene; returns the request's line index. The reply
        proves every earlier line was applied by the agent (a barrier for tests)."""
        self._commit()
        if self.agent is None:
            return -1
        idx = self.fl.request_sent(self.clock())
        self._write(P.scene_request())
        return idx

    def synced_through(self, idx: int) -> bool:
        return self.fl.verified >= idx

    def reset_base(self, bases=None, target=None, edited=None, unrecorded_at=None) -> None:
        """The synced state is what a file kept for ``target`` (or unknown), not
        what this session last saw; ``edited``: the file's offline edit times."""
        self.base = dict(bases or {})
        if target is not None:
            self.target = target
        self.edited = dict(edited or {})
        self.unrecorded_at = unrecorded_at
        self._seen = {}
        self.co.clear()
        self.pending_parents = {}
        self.capturing = False
        self.content.reset()
        if self.agent is not None:
            self.request_scene()

    # -- identity ------------------------------------------------------------

    def remember(self, oid: str, name, type) -> None:
        """Every (name, type) an id has had this session: how an undo to before
        the ids were stamped finds them again (core/adopt.py)."""
        if isinstance(name, str) and type:
            self.names.setdefault(oid, set()).add((name, type))

    # -- edits made while not capturing -------------------------------------------

    def note_offline(self, world, ids=(), poses=()) -> None:
        """Notes when each transform channel of a known object changed while
        nothing is sent; the reconnect sends those edits with that time."""
        if self.capturing or not self.base:
            return
        now = self.wall() * 1000.0
        for oid in ids:
            b = self.base.get(oid)
            xf = world.xform(oid) if b is not None else None
            if xf is None:
                continue
            prev = self._seen.get(oid, None if b.xform is UNKNOWN else b.xform)
            for c in X.changed(prev, xf):
                self.edited[(oid, 'xform', c)] = now
            self._seen[oid] = xf
        for oid in poses:
            b = self.base.get(oid)
            bones = world.pose(oid) if b is not None else None
            if not bones:
                continue
            seen = self._seen.get(('pose', oid)) or {}
            for name, xf in bones.items():
                for c in X.changed(seen.get(name, b.bones.get(name)), xf):
                    self.edited[(oid, 'bone', name, c)] = now
            self._seen[('pose', oid)] = bones

    def seed_seen(self, world) -> None:
        """After a file load: what Blender shows now is the file, not an edit; a
        later change of it is. (The file's own unsynced edits keep the times it saved.)"""
        self._seen = {}
        for oid in self.base:
            xf = world.xform(oid)
            if xf is not None:
                self._seen[oid] = xf
            bones = world.pose(oid)
            if bones:
                self._seen[('pose', oid)] = bones

    def edit_time(self, key):
        """When a pending edit was made, if it was made while not capturing."""
        return self.edited.get(key, self.unrecorded_at if self.unrecorded_at is not None and not self.capturing else None)

    # -- local edits ----------------------------------------------------------

    def local_changed(self, world, ids=(), poses=(), others=()) -> None:
        """``ids``: objects whose transform changed; ``others``: objects updated
        otherwise (a rename shows no flag), whose transform need not be read."""
        if not self.capturing:
            return
        now = self.clock()
        for oid in ids:
            capture.diff_object(self, world, oid, now)
        for oid in others:
            capture.diff_object(self, world, oid, now, xform=False)
        for oid in poses:
            capture.diff_pose(self, world, oid, now)
        self._commit()

    def local_structure(self, world) -> None:
        """Objects added, deleted, shown or hidden: the depsgraph reports these
        only as a Scene or Collection update (World.structure_changes)."""
        if not self.capturing:
            return
        capture.structure(self, world, self.clock())
        self._commit()

    def local_visibility(self, world, ids: dict) -> None:
        """id -> visible for objects looked at again (a slice of a sweep)."""
        if not self.capturing or not ids:
            return
        capture.visibility(self, world, ids, self.clock())
        self._commit()

    def local_selection(self, ids, active) -> None:
        sel = (tuple(sorted(ids)), active)
        if self.agent is None or sel == self.selection:
            return
        self.selection = sel
        self._queue(P.selection(sel[0], active), [])
        self._commit()

    def send_xform(self, oid: str, xf, channels=None, at=None) -> None:
        """Sends the channels of ``xf`` that differ from the base (or ``channels``)."""
        b = self.base[oid]
        if channels is None:
            channels = X.changed(None if b.xform is UNKNOWN else b.xform, xf)
        if not channels:
            return
        self._queue(P.xform_op(oid, xf, channels, at), [(oid, 'xform', c) for c in channels])
        b.set_xform(xf, channels, 'local')
        for c in channels:
            self.edited.pop((oid, 'xform', c), None)

    def send_bones(self, oid: str, bones: dict, channels=None, at=None) -> None:
        """``channels``: bone -> channels to send; default, those that differ from the base."""
        b = self.base[oid]
        if channels is None:
            channels = {n: X.changed(b.bones.get(n), xf) for n, xf in bones.items()}
        bones = {n: xf for n, xf in bones.items() if channels.get(n)}
        if not bones:
            return
        self._queue(P.pose_op(oid, bones, channels, at), [(oid, 'bone', n, c) for n in bones for c in channels[n]])
        for n, xf in bones.items():
            b.set_bone(n, xf, channels[n], 'local')
            for c in channels[n]:
                self.edited.pop((oid, 'bone', n, c), None)

    def forget(self, oid: str, removed_by=None) -> None:
        if removed_by is not None:
            self.removed[oid] = removed_by
        self.base.pop(oid, None)
        self._seen.pop(oid, None)
        self._seen.pop(('pose', oid), None)
        for k in [k for k in self.edited if k[0] == oid]:
            del self.edited[k]
        self.co.forget(oid)
        self.fl.forget(oid)
        self.pending_parents.pop(oid, None)

    # -- the timer --------------------------------------------------------------

    def pump(self, world, limit: int = 10_000) -> int:
        """Applies what the agent sent (for about ``budget`` seconds) and sends
        held values that are due. Returns how many messages were handled."""
        n = 0
        if self.agent is not None:
            now = self.clock()
            self.inbox.add(self.agent.poll(limit), now)
            end = self.timer() + self.budget * max(1.0, self.inbox.waited(now) / CATCH_UP)
            while self.agent is not None:
                m = self.inbox.next(now)
                if m is None:
                    break
                n += 1
                self.handle(world, m)
                if self.timer() >= end:
                    break
        now = self.clock()
        self._flush_due(now)
        self.content.pump(self)
        if self.agent is not None and self.fl.needs_request(now):
            self.request_scene()
        if self.agent is not None and self._await_sync and self._offline_request is None \
                and now - self._connected_at > SYNC_WAIT:
            self._offline_request = self.request_scene()
        self._commit()
        return n

    def next_wakeup(self):
        return self.co.next_due()

    def take_messages(self) -> list:
        """Every message not applied yet, in order (the History panel holds them while previewing)."""
        held = self.inbox.drain()
        return held + self.agent.poll() if self.agent is not None else held

    def handle(self, world, m: dict) -> None:
        t = m.get('type')
        after_synced, self._after_synced = self._after_synced, False
        if t in ('object', 'delete') and self._await_sync:
            # Before the first reconcile: the scene that follows covers it, and
            # merging now could stamp or create before joining has matched ids.
            return
        if t == 'object':
            merge.merge_object(self, world, m['object'], self.fl.verified)
            self.content.remote_object(self, world, m['object'])
        elif t == 'delete':
            merge.remote_delete(self, world, m['id'])
        elif t == 'scene':
            # The scene that follows a 'synced' status is the agent's own, sent
            # on (re)sync; it proves nothing about which of our lines it has read.
            solicited = not after_synced and bool(self.fl.requests)
            bound = self.fl.reply() if solicited else self.fl.verified
            self.replies += solicited
            if self._await_sync and not after_synced and not (solicited and bound == self._offline_request):
                return
            if self.joining and not after_synced and not m['objects']:
                # Joining needs the room's scene: ids are stamped only once it has
                # arrived, never against an empty journal that has not seen the room yet.
                return
            connecting, self._await_sync = self._await_sync, False
            merge.reconcile(self, world, m['objects'], bound)
            self.capturing = True
            self._seen = {}
            if connecting:
                # One Ctrl+Z must not go back to before the ids were stamped (core/undo.py).
                self.undo_push = 'scenesync: joined room' if self.joining else 'scenesync: connected'
            self.joining = False
            self.content.reconcile(self, world, m)
            self._commit()
        elif t == 'status':
            self.status = m.get('status') if m.get('status') in STATUS_LABELS else self.status
            detail = m.get('detail')
            self.detail = detail if isinstance(detail, str) and detail != 'read-only' else ''
            if self.detail and self.status == 'offline':
                self.log(self.detail)
            if self.status == 'synced':
                self._after_synced = True
                self.error = ''
            elif self.status == 'offline' and self._await_sync and self._offline_request is None:
                # No server to sync with: the agent's journal is all there is.
                self._offline_request = self.request_scene()
            self.changed = True
        elif t == 'peers':
            self.peers = m['peers']
            self.changed = True
        elif t == 'error':
            message = str(m.get('message', 'unknown error'))
            if message != self.error:
                self.log(f'agent: {message}')
            self.error = message
            self.changed = True
        elif t == 'notice':
            self.notice = str(m.get('message', ''))
            self.log(self.notice)
            self.changed = True
        elif t in CONTENT_MESSAGES:
            self.content.handle(self, world, m)
        elif t == '_exit':
            self.agent = None
            self.capturing = False
            self.status, self.peers = 'error', []
            self.error = m.get('message') or 'the agent exited'
            self.log(self.error)
            self.changed = True

    # -- sending ----------------------------------------------------------------

    def _flush_due(self, now: float, force: bool = False) -> None:
        due = self.co.due(now if not force else now + 1e9)
        for (oid, kind), value in due:
            if oid not in self.base:
                continue
            if kind == 'xform':
                self.send_xform(oid, value)
            elif value:
                self.send_bones(oid, value)

    # -- the saved state (in the .blend) -------------------------------------------

    def dump_edited(self) -> list:
        return [list(k) + [t] for k, t in self.edited.items()]

    @staticmethod
    def load_edited(rows) -> dict:
        out = {}
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, list) and len(row) >= 4 and isinstance(row[-1], (int, float)) \
                    and all(isinstance(p, str) for p in row[:-1]) and row[1] in ('xform', 'bone'):
                out[tuple(row[:-1])] = float(row[-1])
        return out

    def _queue(self, op: dict, keys) -> None:
        self._out.append(op)
        self.fl.queued(keys)

    def _commit(self) -> None:
        self.content.before_commit(self)
        if not self._out:
            return
        ops, self._out = self._out, []
        if self.agent is None:
            return
        self.ops_sent += sum(1 for op in ops if op['op'] != 'selection')
        self._write(P.batch(ops))
        self.fl.line_sent()

    def _write(self, op: dict) -> None:
        try:
            self.agent.send(P.encode(op))
        except (OSError, ValueError) as e:
            self.handle(None, {'type': '_exit', 'message': f'cannot write to the agent: {e}'})
