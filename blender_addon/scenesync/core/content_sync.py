"""Scene content between Blender and the doc: data blocks (settings and
geometry), objects' links to them, collections, the active camera.

Runs beside the session (core/session.py), which calls it at a few points:
before each commit (``before_commit``: what changed here goes out in the same
line as the object edits), for each message (``handle``, ``remote_object``,
``reconcile``) and on each timer tick (``pump``).

Each value is merged three ways, as object fields are (core/merge.py): the
remote value, the base (what the doc held when we last sent or applied) and
Blender's. Geometry is the exception in cost, not in logic:

- it is read and hashed only when the depsgraph says a data block's geometry
  changed outside edit mode (leaving edit mode, an operator in object mode),
  never on a transform, rename or selection (``[D2]``);
- its base is its hash; the same geometry twice is never sent;
- an incoming change to a data block being edited here waits until edit mode
  ends: if the person changed it, their later edit wins and they are told that
  someone else changed it too; otherwise the waiting change is applied (``[D3]``).
"""
from __future__ import annotations

import os
import tempfile
import time

from . import geometry as G
from .content_world import BUILDABLE, SCENE_COLLECTION, UNSUPPORTED

UNKNOWN = object()
GEOMETRY_KINDS = ('MESH', 'ARMATURE', 'CURVE')
KIND_OF_TYPE = {'MESH': 'MESH', 'ARMATURE': 'ARMATURE', 'CURVE': 'CURVE', 'LIGHT': 'LIGHT', 'CAMERA': 'CAMERA'}
MESSAGES = ('data', 'collection', 'uncollection', 'scene-settings')
EDIT_SYNC_INTERVAL = 0.5
MAX_NOTICES = 6


class DataBase:
    """What the doc held for one data block when we last knew."""
    __slots__ = ('kind', 'name', 'doc_name', 'settings', 'geometry', 'geometry_path', 'origin')

    def __init__(self, kind):
        self.kind = kind
        self.name = UNKNOWN          # as Blender holds it (it may add .001)
        self.doc_name = None         # as the doc holds it
        self.settings = {}           # key -> value; a missing key is unknown
        self.geometry = UNKNOWN      # hash, None for no geometry
        self.geometry_path = None    # where the agent keeps a remote value (undo puts it back)
        self.origin = {}             # 'name' | key | 'geometry' -> 'local' | 'remote'


def _norm(v):
    """Settings compare exactly: float32 numbers, tuples for arrays."""
    if isinstance(v, bool) or isinstance(v, str) or v is None:
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        from .xform import f32
        return f32(v)
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    return v


def norm_settings(d) -> dict:
    return {k: _norm(v) for k, v in (d or {}).items()}


class ContentSync:
    def __init__(self, world=None, outbox=None, clock=time.monotonic):
        self.world = world
        self.clock = clock
        self.outbox = outbox or os.path.join(tempfile.gettempdir(), f'scenesync-outbox-{os.getpid()}')
        self.sync_while_editing = False
        self.edit_interval = EDIT_SYNC_INTERVAL
        self.notices = []
        self.changed = False             # something new for the panel
        self.unsupported = {}            # oid -> (name, type, why)
        self.stats = {'geometry_sent': 0, 'geometry_bytes_sent': 0, 'geometry_applied': 0,
                      'encode_s': 0.0, 'apply_s': 0.0, 'last_encode_s': 0.0, 'last_apply_s': 0.0}
        self.reset()

    def reset(self) -> None:
        """Forgets every base (another room, a file load): the doc wins until we know."""
        self.data = {}                   # did -> DataBase
        self.refs = {}                   # oid -> (data, materials, collections)
        self.cols = {}                   # cid -> state dict
        self.held = {}                   # cid -> state: an empty collection only this file has, not shared yet
        self.camera = UNKNOWN
        self.dirty_data = set()
        self.dirty_geometry = set()
        self.dirty_refs = set()
        self.structure = False
        self.all_refs = False            # every object's links are looked at in the next commit
        self.members_of = set()          # collections (the world's keys) whose members may have changed
        self.edit_dirty = set()          # edited in edit mode since the last send while editing
        self.pending = {}                # did -> (remote data message, who) waiting for edit mode to end
        self.waiting_bones = {}          # did -> encoded bones waiting for an object to edit them on
        self.need_scene = False          # bones were built: ask for the scene again so poses apply
        self._skip_geometry = set()      # applied by us: the depsgraph echo is not an edit
        self.placeholders = set()        # data blocks we created empty for the doc's data: not edits
        self._applying = 0               # >0 while we write to Blender (operators there run the handler)
        self._undoing = False            # the commit after an undo
        self._last_edit_send = {}

    # -- kept in the .blend ----------------------------------------------------------

    def dump(self) -> dict:
        """What the doc held for each data block, link and collection, as JSON: a
        reopened file then tells its offline edits from values that are merely old ([B3])."""
        def v(x):
            return None if x is UNKNOWN else x
        return {
            'data': {did: {'kind': b.kind, 'name': v(b.name), 'docName': b.doc_name, 'settings': b.settings,
                           'geometry': v(b.geometry)} for did, b in self.data.items()},
            'refs': {oid: [r[0], list(r[1]), list(r[2])] for oid, r in self.refs.items() if UNKNOWN not in r},
            'collections': self.cols,
            'camera': v(self.camera) if self.camera is not UNKNOWN else '@unknown',
        }

    def load(self, d) -> None:
        self.reset()
        if not isinstance(d, dict):
            return
        for did, x in (d.get('data') or {}).items():
            if not isinstance(x, dict) or not isinstance(x.get('kind'), str):
                continue
            b = self.data[did] = DataBase(x['kind'])
            if isinstance(x.get('name'), str):
                b.name = x['name']
            b.doc_name = x.get('docName') if isinstance(x.get('docName'), str) else None
            b.settings = norm_settings(x.get('settings') if isinstance(x.get('settings'), dict) else {})
            if x.get('geometry') is None or isinstance(x.get('geometry'), str):
                b.geometry = x.get('geometry')
        for oid, r in (d.get('refs') or {}).items():
            if isinstance(r, list) and len(r) == 3 and isinstance(r[1], list) and isinstance(r[2], list):
                self.refs[oid] = (r[0], tuple(r[1]), tuple(r[2]))
        cols = d.get('collections')
        if isinstance(cols, dict):
            self.cols = {k: v for k, v in cols.items() if isinstance(v, dict) and {'name', 'parent', 'flags'} <= set(v)}
        cam = d.get('camera', '@unknown')
        self.camera = UNKNOWN if cam == '@unknown' else cam

    # -- notes from the depsgraph handler ------------------------------------------

    def note_data(self, did, geometry: bool) -> None:
        self.dirty_data.add(did)
        if geometry and did not in self._skip_geometry:
            self.dirty_geometry.add(did)

    def note_object(self, oid) -> None:
        self.dirty_refs.add(oid)

    def note_structure(self, collections=None) -> None:
        """``collections``: the world's keys of the collections the update named
        (their members may have changed); None: look at every object's links."""
        self.structure = True
        if collections is None:
            self.all_refs = True
        else:
            self.members_of.update(collections)

    def end_updates(self) -> None:
        """After each depsgraph handler call: our applies' echoes have been seen."""
        if not self._applying:
            self._skip_geometry.clear()

    def after_undo(self) -> None:
        """Undo swaps whole data blocks: look at all of them again, in the next
        commit, which then puts back what was someone else's (core/undo.py does
        the same for objects)."""
        self._skip_geometry.clear()
        self._undoing = True
        self.structure = True
        self.dirty_refs.update(self.refs)
        for did in self.data:
            self.dirty_data.add(did)
            self.dirty_geometry.add(did)

    def notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)
            del self.notices[:-MAX_NOTICES]
            self.changed = True

    # -- sending ------------------------------------------------------------------

    def before_commit(self, s) -> None:
        """Queues what changed here since the last commit (called first thing in
        Session._commit, so it travels in the same line as the object edits)."""
        if self.world is None or not s.capturing or self._applying:
            return  # while applying: bones are written in edit mode, whose operator runs the handler
        self.world.begin()
        for op in list(s._out):
            if op.get('op') == 'upsert':
                self.dirty_refs.add(op['id'])
                self.refs.pop(op['id'], None)  # new here: everything it links to goes out
            elif op.get('op') == 'delete':
                self.refs.pop(op['id'], None)
        if self.structure:
            self._send_collections(s)
            # A new camera object is upserted by a later commit of the same update: wait for it.
            self.structure = not self._send_camera(s)
            # Only the objects of the collections the update named: a selection
            # click (a Scene update) must not read the links of 5,000 objects.
            changed = None if self.all_refs else self.world.collection_members(self.members_of, self.refs) if self.members_of else set()
            self.dirty_refs.update(s.base if changed is None else (o for o in changed if o in s.base))
            self.all_refs, self.members_of = False, set()
        if self.dirty_refs:
            dirty, self.dirty_refs = self.dirty_refs, set()
            for oid in dirty:
                self._send_refs(s, oid)
        if self.dirty_data or self.dirty_geometry:
            data, geo = self.dirty_data | self.dirty_geometry, self.dirty_geometry
            self.dirty_data, self.dirty_geometry = set(), set()
            for did in sorted(data):
                self._send_data(s, did, did in geo)
        self._undoing = False

    def _send_refs(self, s, oid) -> None:
        if oid not in s.base or oid in self.unsupported:
            return  # an empty standing in for a type we cannot build: its links are the doc's
        local = self.world.object_refs(oid)
        if local is None:
            return
        base = self.refs.get(oid)
        data, mats, cols = local
        for did in [data] + list(mats):
            if did is not None and did not in self.data:
                self.dirty_data.add(did)
                self.dirty_geometry.add(did)
        if base == local:
            return
        op = {'op': 'link', 'id': oid}
        if base is None or base[0] != data:
            op['data'] = data
        if base is None or base[1] != mats:
            op['materials'] = list(mats)
        if base is None or base[2] != cols:
            op['collections'] = list(cols)
        s._queue(op, [(oid, 'refs')])
        self.refs[oid] = local
        # Data new to the doc must be in the same line as the link to it.
        for did in [data] + list(mats):
            if did in self.dirty_data:
                self.dirty_data.discard(did)
                self.dirty_geometry.discard(did)
                self._send_data(s, did, True)

    def _send_data(self, s, did, geometry: bool) -> None:
        if did in self.placeholders:
            return  # made here for the doc's data block, still waiting for its values
        got = self.world.read_data(did)
        if got is None:
            return
        kind, name, settings = got
        settings = norm_settings(settings)
        b = self.data.get(did)
        new = b is None
        if new:
            b = self.data[did] = DataBase(kind)
        op = {'op': 'data', 'id': did, 'kind': kind, 'name': name}
        changed = {k: v for k, v in settings.items() if b.settings.get(k, UNKNOWN) != v}
        if self._undoing and not new:
            # An undo that rolled back someone else's value: put theirs back, send nothing for it.
            theirs = {k: b.settings[k] for k in changed if b.origin.get(k) == 'remote'}
            if theirs:
                self._applying += 1
                try:
                    self.world.write_data(did, None, theirs)
                finally:
                    self._applying -= 1
                changed = {k: v for k, v in changed.items() if k not in theirs}
            if geometry and b.origin.get('geometry') == 'remote' and b.geometry_path:
                local = self.world.read_geometry(did)
                if local is not None and G.digest(local) != b.geometry:
                    self._apply_geometry(did, kind, {'hash': b.geometry, 'path': b.geometry_path})
                geometry = False
        if changed:
            op['settings'] = changed
        keys = []
        if changed or name != b.name:
            keys.append((did, 'data'))
        if kind in GEOMETRY_KINDS and (geometry or new) and not self.world.is_editing(did):
            sent = self._geometry_op(s, did, kind, op)
            if sent:
                keys.append((did, 'geometry'))
        if not keys and not new:
            return
        s._queue(op, keys or [(did, 'data')])
        b.name = name
        for k, v in changed.items():
            b.settings[k] = v
            b.origin[k] = 'local'
        b.origin['name'] = 'local'

    def _geometry_op(self, s, did, kind, op) -> bool:
        """Adds the local geometry to ``op`` when it differs from the base; settles a
        remote change that waited for edit mode to end."""
        b = self.data[did]
        t0 = time.perf_counter()
        data = self.world.read_geometry(did)
        if data is None:
            return False
        h = G.digest(data)  # a list of parts from Blender: no 100 MB join
        waited = self.pending.pop(did, None)
        if h == b.geometry:
            if waited is not None:
                # Nothing changed while editing: the change that waited applies now.
                self._apply_geometry(did, kind, waited[0])
            return False
        _, path = G.store(self.outbox, data, h)
        dt = time.perf_counter() - t0
        self.stats['encode_s'] += dt
        self.stats['last_encode_s'] = dt
        self.stats['geometry_sent'] += 1
        self.stats['geometry_bytes_sent'] += G.size_of(data)
        op['geometry'] = {'hash': h, 'path': path}
        b.geometry, b.geometry_path = h, None
        b.origin['geometry'] = 'local'
        if waited is not None:
            self.notice(f'{waited[1]} changed "{op["name"]}" while you were editing it; your edit replaced theirs.')
        return True

    def _send_collections(self, s) -> None:
        local = self.world.scan_collections()
        for cid in [c for c in self.cols if c not in local]:
            s._queue({'op': 'uncollection', 'id': cid}, [(cid, 'collection')])
            del self.cols[cid]
        # Parents first, so a new tree arrives in an order Blender can build.
        for cid in _parents_first(local):
            st = local[cid]
            if cid in self.held:
                # Its name does not count: Blender renames it when another "Collection" arrives.
                h = self.held[cid]
                if (h['parent'], h['flags']) == (st['parent'], st['flags']) and self.world.collection_is_empty(cid):
                    continue
                del self.held[cid]
            b = self.cols.get(cid)
            if b == st:
                continue
            op = {'op': 'collection', 'id': cid}
            if b is None or b['name'] != st['name']:
                op['name'] = st['name']
            if b is None or b['parent'] != st['parent']:
                op['parent'] = st['parent']
            flags = {k: v for k, v in st['flags'].items() if b is None or b['flags'].get(k) != v}
            if flags:
                op['flags'] = flags
            s._queue(op, [(cid, 'collection')])
            self.cols[cid] = {'name': st['name'], 'parent': st['parent'], 'flags': dict(st['flags'])}

    def _send_camera(self, s) -> bool:
        cam = self.world.camera()
        if cam == self.camera:
            return True
        if cam is not None and cam not in s.base:
            return False
        s._queue({'op': 'camera', 'id': cam}, [('@scene', 'camera')])
        self.camera = cam
        return True

    # -- the timer ----------------------------------------------------------------

    def pump(self, s) -> None:
        if self.world is None or not s.capturing:
            return
        self.world.begin()
        if self.changed:
            s.changed, self.changed = True, False
        if self.need_scene and s.connected:
            self.need_scene = False
            s.request_scene()
        now = self.clock()
        for did in list(self.pending):
            if not self.world.is_editing(did):
                # Edit mode ended without a geometry update reaching us: settle it now.
                self.dirty_geometry.add(did)
        if self.sync_while_editing:
            for did in list(self.edit_dirty):
                if now - self._last_edit_send.get(did, -1e18) < self.edit_interval:
                    continue
                self.edit_dirty.discard(did)
                if not self.world.is_editing(did):
                    continue
                self._last_edit_send[did] = now
                self.world.flush_edit(did)
                b = self.data.get(did)
                if b is not None:
                    op = {'op': 'data', 'id': did, 'kind': b.kind, 'name': b.name if b.name is not UNKNOWN else 'Data'}
                    if self._geometry_op(s, did, b.kind, op):
                        s._queue(op, [(did, 'geometry')])
        for did in list(self.waiting_bones):
            self._applying += 1
            try:
                done = self.world.write_geometry(did, 'ARMATURE', self.waiting_bones[did])
            finally:
                self._applying -= 1
            self.dirty_geometry.discard(did)
            self.dirty_data.discard(did)
            if done:
                del self.waiting_bones[did]
                self._skip_geometry.add(did)
                self.need_scene = True

    def note_edit(self, did) -> None:
        """A geometry update while in edit mode (sent only with sync while editing)."""
        self.edit_dirty.add(did)

    # -- receiving ------------------------------------------------------------------

    def handle(self, s, world, m) -> None:
        if self.world is None:
            return
        self.world.begin()
        t = m.get('type')
        bound = s.fl.verified
        if t == 'data':
            self.remote_data(s, m, bound)
        elif t == 'collection':
            self.remote_collection(s, m, bound)
        elif t == 'uncollection':
            if not s.fl.ambiguous((m['id'], 'collection'), bound):
                self.world.delete_collection(m['id'])
                self.cols.pop(m['id'], None)
        elif t == 'scene-settings':
            self.remote_camera(s, m.get('camera'), bound)

    def _decide(self, s, key, remote, base, local, bound):
        if s.fl.ambiguous(key, bound):
            s.fl.uncertain.add(key)
            return 'nothing'
        s.fl.uncertain.discard(key)
        if local == remote:
            return 'adopt'
        if base is UNKNOWN:
            return 'apply'
        if local != base:
            return 'send'
        return 'apply' if remote != base else 'nothing'

    def remote_data(self, s, m, bound) -> None:
        did, kind = m['id'], m.get('kind')
        if not isinstance(kind, str):
            return
        b = self.data.get(did)
        local = self.world.read_data(did)
        if local is None:
            if not self.world.create_data(did, kind, m.get('name') or kind.title()):
                return
            self.placeholders.add(did)
            local = self.world.read_data(did)
            if local is None:
                return
        if b is None:
            b = self.data[did] = DataBase(kind)
        _, lname, lset = local
        lset = norm_settings(lset)
        remote = norm_settings(m.get('settings'))
        apply, send = {}, {}
        for k, rv in remote.items():
            # A setting Blender does not show now (a spot's size on a point light) is
            # applied: the world sets what exists once the rest (the type) is set.
            a = self._decide(s, (did, 'data'), rv, b.settings.get(k, UNKNOWN), lset.get(k, UNKNOWN), bound)
            if a == 'apply':
                apply[k] = rv
            elif a == 'send' and k in lset:
                send[k] = lset[k]
            elif a == 'adopt':
                b.settings[k] = rv
        rname = m.get('name')
        name = None
        if isinstance(rname, str):
            b.doc_name = rname
            a = self._decide(s, (did, 'data'), rname, b.name, lname, bound)
            if a == 'apply':
                name = rname
            elif a == 'adopt':
                b.name = rname
            elif a == 'send':
                send['__name'] = lname
        if apply or name is not None:
            back = norm_settings(self.world.write_data(did, name, apply))
            for k, v in apply.items():
                b.settings[k] = back.get(k, v)
                b.origin[k] = 'remote'
            if name is not None:
                b.name = self.world.read_data(did)[1]
                b.origin['name'] = 'remote'
        if send:
            op = {'op': 'data', 'id': did, 'kind': kind, 'name': send.pop('__name', lname)}
            if send:
                op['settings'] = send
            s._queue(op, [(did, 'data')])
            b.settings.update(send)
            b.name = op['name']
        if kind not in GEOMETRY_KINDS or m.get('geometry', UNKNOWN) is None:
            self.placeholders.discard(did)  # nothing more to wait for
        if 'geometry' in m and kind in GEOMETRY_KINDS:
            self._remote_geometry(s, did, kind, m, bound)

    def _remote_geometry(self, s, did, kind, m, bound) -> None:
        g = m['geometry']
        b = self.data[did]
        if g is None or not isinstance(g, dict):
            return  # the doc holds no value: keep what Blender shows
        if s.fl.ambiguous((did, 'geometry'), bound):
            s.fl.uncertain.add((did, 'geometry'))
            return
        s.fl.uncertain.discard((did, 'geometry'))
        if g.get('hash') == b.geometry:
            return
        if self.world.is_editing(did):
            names = [p.get('name') for p in s.peers if isinstance(p.get('name'), str)]
            self.pending[did] = (g, names[0] if len(names) == 1 else 'Someone else')
            return
        if did in self.dirty_geometry and did not in self.placeholders:
            return  # a local change not sent yet: it goes out next commit and wins
        if b.geometry is UNKNOWN:
            local = self.world.read_geometry(did)
            if local is not None and G.digest(local) == g.get('hash'):
                b.geometry, b.origin['geometry'] = g['hash'], 'remote'
                return
        self._apply_geometry(did, kind, g)

    def _apply_geometry(self, did, kind, g) -> None:
        t0 = time.perf_counter()
        try:
            # The agent named the file by its hash after checking it; hashing again would cost 0.1 s per 100 MB.
            data = G.load(g['path'])
            if isinstance(g.get('size'), int) and len(data) != g['size']:
                raise G.GeometryError(f'{g["path"]} holds {len(data)} bytes, not {g["size"]}')
        except (OSError, G.GeometryError) as e:
            self.notice(f'Could not read a geometry change: {e}')
            return
        b = self.data[did]
        self.placeholders.discard(did)
        self._applying += 1
        try:
            done = self.world.write_geometry(did, kind, data)
        finally:
            self._applying -= 1
        # What the handler noted meanwhile is this write, not an edit.
        self.dirty_geometry.discard(did)
        self.dirty_data.discard(did)
        self.edit_dirty.discard(did)
        if not done:
            self.waiting_bones[did] = data
        elif kind == 'ARMATURE':
            self.need_scene = True  # poses of bones that did not exist until now
        b.geometry, b.geometry_path = g['hash'], g['path']
        b.origin['geometry'] = 'remote'
        self._skip_geometry.add(did)
        dt = time.perf_counter() - t0
        self.stats['apply_s'] += dt
        self.stats['last_apply_s'] = dt
        self.stats['geometry_applied'] += 1

    def remote_object(self, s, world, r) -> None:
        """After the session merged an ``object`` message: its links."""
        if self.world is None or r.id not in s.base:
            return
        if self.refs.get(r.id) == (r.data, r.materials, r.collections) and (r.id, 'refs') not in s.fl.uncertain:
            # The doc's links are the ones we already hold (a move, a pose): nothing
            # to merge. A local change of them was noted by the depsgraph and goes
            # out with the next commit.
            return
        self.world.begin()
        t = self.world.object_type(r.id)
        if t is None:
            return
        if r.type and r.type not in BUILDABLE and r.type != 'EMPTY':
            self.unsupported[r.id] = (r.name or r.id, r.type, UNSUPPORTED.get(r.type, 'this type is not synced yet'))
            s.changed = True
            if r.collections:
                self.world.set_object_collections(r.id, list(r.collections))
            return
        local = self.world.object_refs(r.id)
        if local is None:
            return
        base = self.refs.get(r.id, (UNKNOWN, UNKNOWN, UNKNOWN))
        bound = s.fl.verified
        key = (r.id, 'refs')
        out = list(local)
        send = {}
        for i, (field, remote) in enumerate((('data', r.data), ('materials', tuple(r.materials)), ('collections', tuple(r.collections)))):
            if field == 'data' and remote is not None and remote not in self.data and self.world.read_data(remote) is None:
                kind = KIND_OF_TYPE.get(t)
                if kind is None or not self.world.create_data(remote, kind, r.name or kind.title()):
                    continue
                self.placeholders.add(remote)
            a = self._decide(s, key, remote, base[i], local[i], bound)
            if a == 'apply':
                if field == 'data':
                    old = local[0]
                    if not self.world.set_object_data(r.id, remote, drop_old=old is not None and old not in self.data):
                        continue
                    d = self.data.get(remote)
                    if d is not None and d.doc_name:
                        # The empty data block the object came with is gone: its name is free now.
                        self.world.write_data(remote, d.doc_name, {})
                        d.name = self.world.read_data(remote)[1]
                elif field == 'materials':
                    for m in remote:
                        if m is not None and self.world.read_data(m) is None and self.world.create_data(m, 'MATERIAL', 'Material'):
                            self.placeholders.add(m)
                    self.world.set_object_materials(r.id, list(remote))
                else:
                    self.world.set_object_collections(r.id, list(remote))
                out[i] = remote
            elif a == 'adopt':
                out[i] = remote
            elif a == 'send':
                send[field] = list(local[i]) if i else local[i]
        self.refs[r.id] = tuple(out)
        if send:
            s._queue(dict({'op': 'link', 'id': r.id}, **send), [key])

    def remote_collection(self, s, m, bound) -> None:
        cid = m['id']
        st = {'name': m.get('name'), 'parent': m.get('parent'), 'flags': dict(m.get('flags') or {})}
        if not isinstance(st['name'], str):
            return
        if s.fl.ambiguous((cid, 'collection'), bound):
            s.fl.uncertain.add((cid, 'collection'))
            return
        local = self.world.scan_collections().get(cid)
        if local == st:
            self.cols[cid] = st
            return
        b = self.cols.get(cid)
        if local is not None and b is not None and local != b:
            return  # changed here, not sent yet: it goes out next commit and wins
        self.world.write_collection(cid, st)
        self.cols[cid] = self.world.scan_collections().get(cid, st)

    def remote_camera(self, s, cam, bound) -> None:
        if s.fl.ambiguous(('@scene', 'camera'), bound):
            return
        local = self.world.camera()
        a = self._decide(s, ('@scene', 'camera'), cam, self.camera, local, bound)
        if a == 'apply' and (cam is None or self.world.set_camera(cam)):
            self.camera = cam
        elif a == 'adopt':
            self.camera = cam

    def reconcile(self, s, world, m) -> None:
        """A whole scene from the agent (after the session reconciled objects):
        collections, data, links, camera; then what only this Blender has goes out."""
        if self.world is None:
            return
        self.world.begin()
        bound = s.fl.verified
        have = self.world.scan_collections()
        remote_cols = [c for c in m.get('collections') or [] if isinstance(c, dict) and isinstance(c.get('id'), str)]
        for c in _order_by_parent(remote_cols):
            self.remote_collection(s, c, bound)
        for d in m.get('data') or []:
            if isinstance(d, dict) and isinstance(d.get('id'), str):
                self.remote_data(s, d, bound)
        for r in m.get('objects') or []:
            self.remote_object(s, world, r)
        settings = m.get('settings') or {}
        if isinstance(settings, dict) and 'camera' in settings:
            self.remote_camera(s, settings.get('camera'), bound)
        # Only in this Blender: sent with the next commit.
        remote_ids = {c['id'] for c in remote_cols}
        for cid, st in have.items():
            if cid not in remote_ids:
                self.cols.pop(cid, None)
                # Every new file has an empty "Collection": joining must not add one per person.
                # It is shared once something is put in it, or it is renamed or moved.
                if self.world.collection_is_empty(cid):
                    self.held[cid] = st
        self.structure = True
        known = {d.get('id') for d in m.get('data') or [] if isinstance(d, dict)}
        for did in self.world.scan_data():
            if did not in known:
                self.data.pop(did, None)
                self.dirty_data.add(did)
                self.dirty_geometry.add(did)
        self.dirty_refs.update(s.base)


def _parents_first(cols: dict) -> list:
    out, seen = [], set()

    def visit(cid, depth=0):
        if cid in seen or depth > 64:
            return
        p = cols[cid].get('parent')
        if p in cols:
            visit(p, depth + 1)
        seen.add(cid)
        out.append(cid)
    for cid in sorted(cols):
        visit(cid)
    return out


def _order_by_parent(cols: list) -> list:
    by_id = {c['id']: c for c in cols}
    return [by_id[cid] for cid in _parents_first(by_id)]


def describe(s) -> dict:
    """What the panel shows about content (bpy-free, tested)."""
    c = s.content
    return {
        'notices': list(c.notices),
        'unsupported': [f'{name} ({t}): {why}' for name, t, why in c.unsupported.values()],
        'waiting': len(c.pending),
    }


__all__ = ['ContentSync', 'MESSAGES', 'SCENE_COLLECTION', 'describe']
