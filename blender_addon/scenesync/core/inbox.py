"""The agent's messages waiting to be applied, in order, with an object's
changes folded forward into its newest.

The timer applies messages for a few milliseconds per tick (Session.pump) and
leaves the rest here for the next one: a burst of 400 moves then costs four
short ticks instead of one stutter of 30 ms. Nothing is dropped and nothing is
applied out of order, with one exception that is itself the point: an
``object`` message is the object's whole state in the doc (its pose only the
bones that changed), so when a newer one for the same object is already
waiting, the older one is folded into it (its bones kept unless the newer one
has them too), one message at a time, and applied at the newest one's place.
Blender is then written once with the last value while the doc, which the
agent keeps, has had every update. Applying an object's state later, never
earlier, is what the doc did anyway: a name another object gave up meanwhile
is free by then.

Folding stops at any message that is not an object change (a scene, a
delete, a status, scene content, the agent's exit): what came before it is
applied before it. And no change is held back by folding for longer than
``max_defer``: an object dragged without pause while the timer is behind still
moves, at least that often.
"""
from __future__ import annotations

MAX_DEFER = 0.1

# Messages that never hold object state and may be passed over by folding.
_NEUTRAL = ('object', 'peers', 'error', 'notice')


class Inbox:
    def __init__(self, max_defer: float = MAX_DEFER):
        self.max_defer = max_defer
        self._entries = {}     # seq -> [arrived, message, first arrival of what it carries]
        self._head = 0         # seq of the oldest waiting message
        self._tail = 0         # seq the next message gets
        self._newest = {}      # object id -> seq of its newest waiting object message
        self._after = {}       # seq of an object message -> seq of the next one for the same object
        self._barriers = []    # seqs of waiting messages folding must not pass, oldest first
        self._barrier_at = 0   # index of the first of those still waiting
        self.folded = 0        # object messages folded into a newer one (benchmarks read it)

    def __len__(self) -> int:
        return self._tail - self._head

    def add(self, messages, now: float) -> None:
        for m in messages:
            seq = self._tail
            self._tail += 1
            self._entries[seq] = [now, m, now]
            t = m.get('type')
            if t == 'object':
                before = self._newest.get(m['id'])
                if before is not None:
                    self._after[before] = seq
                self._newest[m['id']] = seq
            elif t not in _NEUTRAL:
                self._barriers.append(seq)

    def waited(self, now: float) -> float:
        """How long the oldest waiting message has waited (0 when none)."""
        e = self._entries.get(self._head)
        return now - e[0] if e is not None else 0.0

    def next(self, now: float):
        """The next message to apply, or None when none waits."""
        while self._head < self._tail:
            seq = self._head
            self._head += 1
            _arrived, m, first = self._entries.pop(seq)
            if self._barrier_at < len(self._barriers) and self._barriers[self._barrier_at] == seq:
                self._barrier_at += 1
                if self._barrier_at > 1024:
                    del self._barriers[:self._barrier_at]
                    self._barrier_at = 0
            if m.get('type') != 'object':
                return m
            # Folded one step at a time, into the next change of the same object,
            # so each bone ends with the value of the newest message that has it.
            newer = self._after.pop(seq, None)
            if newer is None:
                del self._newest[m['id']]
                return m
            if self._barrier_before(newer) or now - first >= self.max_defer:
                return m
            later = self._entries[newer]
            _fold(m['object'], later[1]['object'])
            later[2] = min(later[2], first)
            self.folded += 1
        return None

    def _barrier_before(self, seq: int) -> bool:
        return self._barrier_at < len(self._barriers) and self._barriers[self._barrier_at] < seq

    def drain(self) -> list:
        """Every waiting message, in order, unfolded (the History panel holds them)."""
        out = [self._entries[s][1] for s in range(self._head, self._tail)]
        self.clear()
        return out

    def clear(self) -> None:
        self._entries, self._newest, self._after, self._barriers = {}, {}, {}, []
        self._head = self._tail = self._barrier_at = 0


def _fold(older, newer) -> None:
    """``newer`` (a RemoteObject) takes the bones only ``older`` changed."""
    if older.pose:
        newer.pose = {**older.pose, **newer.pose}
    newer.full = newer.full or older.full
