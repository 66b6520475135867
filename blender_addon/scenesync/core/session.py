"""One connection of this Blender to a room: what to send, what to apply.

Everything here runs on Blender's main thread (the depsgraph handler and the
timer), so there is no locking; only the agent's reader thread is concurrent,
and it talks to us through a queue (core/agent_process.py).

Local edits: the glue tells us which objects changed; core/capture.py diffs
them against the base (core/shadow.py) and coalesces transforms and bones per
object (core/coalescer.py); everything one call produced goes out as one line,
which is one Yjs transaction and one log entry.

Remote changes (apply): ``pump`` drains the agent's messages and merges each
value three ways with the base and Blender (core/merge.py).
"""
from __future__ import annotations

import sys
import time

from . import capture, merge
from . import protocol as P
from .coalescer import Coalescer
from .content_sync import MESSAGES as CONTENT_MESSAGES, ContentSync
from .inflight import InFlight

# y-websocket reports nothing but 'connecting' while it has never reached the
# server, so no 'offline' may come: after this long the journal is used as is.
SYNC_WAIT = 3.0

STATUS_LABELS = {
    'disconnected': 'Disconnected', 'starting': 'Starting agent', 'connecting': 'Connecting',
    'synced': 'Synced', 'offline': 'Offline (edits kept, sent on reconnect)', 'error': 'Error',
}


class Session:
    def __init__(self, clock=time.monotonic, interval: float | None = None, log=None):
        self.clock = clock
        self.co = Coalescer() if interval is None else Coalescer(interval)
        self.base = {}
        self.fl = InFlight()
        self.agent = None
        self.target = None            # (url, room) the base belongs to
        self.status = 'disconnected'
        self.error = ''
        self.peers = []
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
            self.base = {}
            self.target = target
        self.agent = agent
        self.fl = InFlight()
        self.co.clear()
        self.pending_parents = {}
        self.capturing = False
        self.selection = None
        self.status, self.error, self.peers = 'starting', '', []
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
        self._flush_due(self.clock(), force=True)
        self._commit()
        agent, self.agent = self.agent, None
        agent.stop()
        self.capturing = False
        self.status, self.peers = 'disconnected', []
        self.changed = True

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

    def reset_base(self, bases=None, target=None) -> None:
        """After a file load: the loaded objects' synced state is what the file
        kept for ``target`` (or unknown), not what this session last saw."""
        self.base = dict(bases or {})
        if target is not None:
            self.target = target
        self.co.clear()
        self.pending_parents = {}
        self.capturing = False
        self.content.reset()
        if self.agent is not None:
            self.request_scene()

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
        only as a Scene or Collection update, so compare every object."""
        if not self.capturing:
            return
        capture.structure(self, world, self.clock())
        self._commit()

    def local_selection(self, ids, active) -> None:
        sel = (tuple(sorted(ids)), active)
        if self.agent is None or sel == self.selection:
            return
        self.selection = sel
        self._queue(P.selection(sel[0], active), [])
        self._commit()

    def send_xform(self, oid: str, xf) -> None:
        self._queue(P.xform_op(oid, xf), [(oid, 'xform')])
        self.base[oid].set('xform', xf, 'local')

    def send_bones(self, oid: str, bones: dict) -> None:
        self._queue(P.pose_op(oid, bones), [(oid, 'bone', n) for n in bones])
        b = self.base[oid]
        for n, xf in bones.items():
            b.bones[n] = xf
            b.origin[('bone', n)] = 'local'

    def forget(self, oid: str) -> None:
        self.base.pop(oid, None)
        self.co.forget(oid)
        self.fl.forget(oid)
        self.pending_parents.pop(oid, None)

    # -- the timer --------------------------------------------------------------

    def pump(self, world, limit: int = 10_000) -> int:
        """Applies what the agent sent and sends held values that are due.
        Returns how many messages were handled."""
        n = 0
        if self.agent is not None:
            for m in self.agent.poll(limit):
                n += 1
                self.handle(world, m)
                if self.agent is None:
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

    def handle(self, world, m: dict) -> None:
        t = m.get('type')
        after_synced, self._after_synced = self._after_synced, False
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
            self._await_sync = False
            merge.reconcile(self, world, m['objects'], bound)
            self.capturing = True
            self.content.reconcile(self, world, m)
            self._commit()
        elif t == 'status':
            self.status = m.get('status') if m.get('status') in STATUS_LABELS else self.status
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
            self.error = str(m.get('message', 'unknown error'))
            self.log(f'agent: {self.error}')
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
