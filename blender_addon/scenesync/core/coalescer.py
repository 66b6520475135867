"""Per-key send throttling: at most one send per key per interval, and the last
value offered is always sent.

A drag fires the depsgraph handler on every mouse move, often faster than 60 Hz
and for many objects at once. The first change of a key goes out at once (no
added latency for a single click); later ones within the interval are held and
only the newest held value is sent when the interval has passed, so the final
position of a drag is never dropped.
"""
from __future__ import annotations

INTERVAL = 0.016


class Coalescer:
    def __init__(self, interval: float = INTERVAL):
        self.interval = interval
        self._last = {}
        self._pending = {}

    def offer(self, key, value, now: float) -> bool:
        """True: send ``value`` now (and the caller must). False: it is held."""
        if key not in self._pending and now - self._last.get(key, -1e18) >= self.interval:
            self._last[key] = now
            return True
        self._pending[key] = value
        return False

    def pending(self, key):
        return self._pending.get(key)

    def cancel(self, key) -> None:
        """Drops a held value, e.g. a drag that ended where it started."""
        self._pending.pop(key, None)

    def take(self, key, now: float):
        """Releases a held value now, bypassing the interval (a conflict needs it
        sent before the remote value is judged); None if nothing was held."""
        v = self._pending.pop(key, None)
        if v is not None:
            self._last[key] = now
        return v

    def forget(self, oid: str) -> None:
        """Drops everything held for one object (it was deleted)."""
        for k in [k for k in self._pending if k[0] == oid]:
            del self._pending[k]

    def due(self, now: float) -> list:
        """(key, value) pairs whose interval has passed, removed from the holding."""
        out = []
        for k, v in list(self._pending.items()):
            if now - self._last.get(k, -1e18) >= self.interval:
                out.append((k, v))
                del self._pending[k]
                self._last[k] = now
        if len(self._last) > 4096:
            # Send times matter only within one interval; keep the table small.
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        return out

    def next_due(self):
        """When the earliest held value is due, or None when nothing is held."""
        if not self._pending:
            return None
        return min(self._last.get(k, 0.0) for k in self._pending) + self.interval

    def __len__(self):
        return len(self._pending)

    def clear(self) -> None:
        self._pending.clear()
        self._last.clear()
