"""core/content_world.py's interface on bpy: data blocks and collections by
the UUID in their own custom property, objects through the session's
BlenderWorld. References to Blender data live only within one main-thread call
(``begin`` drops them); between calls only ids and pointers (ints) are kept.
"""
import bpy

from . import PROP, KINDS, armature, collection as C, collections as stores, kind_of, values
from ..core import ids as IDS
from ..core.content_world import BUILDABLE, SCENE_COLLECTION, ContentWorld

GEOMETRY = ('MESH', 'ARMATURE', 'CURVE')


class BlenderContent(ContentWorld):
    def __init__(self, objects):
        self.objects = objects          # the session's BlenderWorld
        self.known = {}                 # data id -> pointer of the data block that holds it
        self.col_known = {}             # collection id -> pointer
        self._index = None
        self._in_scene = None
        self._call = None
        self._members = None            # (scene pointer, [(collection id, collection pointer, {object pointer})]): see _membership
        self._rest = {}                 # armature id -> (pointer, rest key, encoded bones): see read_geometry
        objects.on_link = self._linked

    @staticmethod
    def scene():
        return bpy.context.scene

    def begin(self) -> None:
        """Called at each entry of the content sync; the index is dropped only when
        a new main-thread call began (the session's BlenderWorld.begin counts
        them), so 200 messages in one timer tick build it once."""
        call = self.objects.call
        if call != self._call:
            self._call = call
            self._index = None
            self._in_scene = None

    def forget_pointers(self) -> None:
        """After undo or a file load, addresses no longer tell data blocks apart."""
        self.known, self.col_known, self._rest = {}, {}, {}
        self._call = self._index = self._in_scene = self._members = None

    # -- data blocks --------------------------------------------------------------

    def _build(self):
        idx, entries = {}, []
        for kind, coll in stores().items():
            for db in coll:
                if db.library is None and (kind != 'CURVE' or kind_of(db) == 'CURVE'):
                    did = getattr(db, PROP)
                    if did:
                        entries.append((db.as_pointer(), did, db))
        # A full duplicate (Shift+D) copies the mesh and its id: the one we knew keeps it.
        dup = set(IDS.duplicates([(p, d) for p, d, _ in entries], self.known))
        for ptr, did, db in entries:
            if ptr in dup:
                did = IDS.new_id()
                setattr(db, PROP, did)
            idx[did] = db
            self.known[did] = ptr
        self._index = idx
        return idx

    def _db(self, did):
        return (self._index if self._index is not None else self._build()).get(did)

    def block(self, did):
        """The data block holding ``did`` in this file, or None (the History
        panel's stand-ins for deleted objects show it)."""
        self.begin()
        return self._db(did)

    def ensure(self, db):
        """The id of a data block we sync, giving it one if it has none (or a copied one)."""
        did = getattr(db, PROP)
        ptr = db.as_pointer()
        if did and self.known.get(did) == ptr:
            return did
        if did and self.known.get(did) is None:
            self.known[did] = ptr
            if self._index is not None:
                self._index[did] = db
            return did
        if did:
            self._build()  # settles who keeps a shared id
            did = getattr(db, PROP)
            if self.known.get(did) == db.as_pointer():
                return did
        did = IDS.new_id()
        setattr(db, PROP, did)
        self.known[did] = ptr
        if self._index is not None:
            self._index[did] = db
        return did

    def _data_of(self, o):
        d = o.data
        if d is None or o.type not in BUILDABLE or d.library is not None or kind_of(d) is None:
            return None
        return self.ensure(d)

    def scan_data(self) -> dict:
        out = {}
        for o in self.scene().objects:
            if o.library is not None or not getattr(o, 'scenesync_id', ''):
                continue
            did = self._data_of(o)
            if did is not None:
                out[did] = kind_of(o.data)
            for slot in o.material_slots:
                if slot.material is not None and slot.material.library is None:
                    out[self.ensure(slot.material)] = 'MATERIAL'
        return out

    def read_data(self, did):
        db = self._db(did)
        if db is None:
            return None
        kind = kind_of(db)
        return kind, db.name, KINDS[kind].read_settings(db)

    def read_geometry(self, did):
        db = self._db(did)
        kind = kind_of(db) if db is not None else None
        if kind not in GEOMETRY:
            return None
        if kind != 'ARMATURE':
            return KINDS[kind].read_geometry(db)
        # Bones at rest are read again only when their bulk key changed: a pose
        # from the room tags the armature's geometry on every apply.
        key, ptr = armature.rest_key(db), db.as_pointer()
        kept = self._rest.get(did)
        if kept is not None and kept[0] == ptr and kept[1] == key:
            return kept[2]
        parts = KINDS[kind].read_geometry(db)
        self._rest[did] = (ptr, key, parts)
        return parts

    def is_editing(self, did) -> bool:
        db = self._db(did)
        return bool(db is not None and getattr(db, 'is_editmode', False))

    def flush_edit(self, did) -> None:
        db = self._db(did)
        for o in self.scene().objects:
            if o.data == db and o.mode == 'EDIT':
                o.update_from_editmode()
                return

    def create_data(self, did, kind, name) -> bool:
        mod = KINDS.get(kind)
        if mod is None:
            return False
        db = mod.new(name)
        setattr(db, PROP, did)
        self.known[did] = db.as_pointer()
        if self._index is not None:
            self._index[did] = db
        return True

    def write_data(self, did, name, settings) -> dict:
        db = self._db(did)
        if db is None:
            return {}
        kind = kind_of(db)
        if settings:
            KINDS[kind].write_settings(db, settings)
            db = self._index[did] = db.id_data  # a new wrapper if the type changed (a light)
        if name is not None:
            values.rename(db, name, stores()[kind])
        return KINDS[kind].read_settings(db)

    def write_geometry(self, did, kind, data) -> bool:
        db = self._db(did)
        if db is None or kind_of(db) != kind:
            return True  # nothing to build it on; the reference stays for later
        if kind == 'ARMATURE':
            return KINDS[kind].write_geometry(db, data, self.scene())
        KINDS[kind].write_geometry(db, data)
        return True

    # -- objects --------------------------------------------------------------------

    def _membership(self):
        """[(collection id, collection pointer, pointers of its objects)] for the
        scene's collections, in the order Blender lists an object's collections
        (``users_collection``, which in Blender 3.4 is Python that lists every
        collection's objects: 2 ms per object at 5,000). A collection without an
        id yet is listed with ``''``: an object linked to it is still linked to
        something. Kept across calls as plain ints; dropped when a collection's
        members change (its Collection update, undo, load) and kept up to date
        by our own creations and deletions (``_linked``) and links
        (``set_object_collections``)."""
        scene = self.scene()
        sp = scene.as_pointer()
        if self._members is None or self._members[0] != sp:
            in_scene = self._scene_collections()
            out = []
            for c in bpy.data.collections:
                if c.as_pointer() in in_scene:
                    out.append((getattr(c, PROP), c.as_pointer(), {o.as_pointer() for o in c.objects}))
            sc = scene.collection
            out.append((SCENE_COLLECTION, sc.as_pointer(), {o.as_pointer() for o in sc.objects}))
            self._members = (sp, out)
        return self._members[1]

    def _linked(self, ptr: int, present: bool) -> None:
        """The session's BlenderWorld created (linked to the scene's own collection)
        or deleted the object at ``ptr``."""
        if self._members is None:
            return
        if self._members[0] != self.objects.scene().as_pointer():
            self._members = None  # kept for another scene than the synced one: not ours to patch
            return
        for cid, _cp, ptrs in self._members[1]:
            if present and cid == SCENE_COLLECTION:
                ptrs.add(ptr)
            elif not present:
                ptrs.discard(ptr)

    def _scene_collections(self):
        if self._in_scene is None:
            self._in_scene = {c.as_pointer() for c in self.scene().collection.children_recursive}
        return self._in_scene

    def object_refs(self, oid):
        o = self.objects.obj(oid)
        if o is None:
            return None
        mats = tuple(self.ensure(s.material) if s.material is not None and s.material.library is None else None for s in o.material_slots)
        p = o.as_pointer()
        cols = tuple(cid for cid, _cp, ptrs in self._membership() if cid and p in ptrs)
        if not cols:
            # In no collection we know of: not ours to guess, ask Blender.
            cols = C.members(self.scene(), o, self._scene_collections())
            self._members = None
        return self._data_of(o), mats, cols

    def object_type(self, oid):
        o = self.objects.obj(oid)
        return None if o is None else o.type

    def set_object_data(self, oid, did, drop_old=False) -> bool:
        o = self.objects.obj(oid)
        db = self._db(did) if did is not None else None
        if o is None or db is None or BUILDABLE.get(o.type) != kind_of(db):
            return False
        if o.data != db:
            old = o.data
            o.data = db
            # The empty data block the object was created with is nobody's; it would
            # keep its name (Cube.001) from the data block that comes in.
            if drop_old and old is not None and old.users == 0:
                old_id = getattr(old, PROP)
                stores()[kind_of(old)].remove(old)
                if old_id and self._index is not None:
                    self._index.pop(old_id, None)
                    self.known.pop(old_id, None)
        return True

    def set_object_materials(self, oid, materials) -> None:
        o = self.objects.obj(oid)
        if o is None or o.data is None or not hasattr(o.data, 'materials'):
            return
        slots = o.data.materials
        while len(slots) < len(materials):
            slots.append(None)
        while len(slots) > len(materials):
            slots.pop()
        for i, mid in enumerate(materials):
            mat = self._db(mid) if mid is not None else None
            if o.material_slots[i].material != mat:
                o.material_slots[i].material = mat

    def set_object_collections(self, oid, collections) -> None:
        o = self.objects.obj(oid)
        if o is None:
            return
        scene = self.scene()
        targets = C.targets(scene, collections)
        want = {c.as_pointer(): c for c in targets}
        members = {cp: ptrs for _cid, cp, ptrs in self._membership()}
        if want.keys() <= members.keys():
            # Every target is in the kept membership, so it says exactly where the
            # object is (in this scene): a join of 5,000 objects that are where
            # the doc has them links nothing, and nothing else needs a pass over
            # the scene's objects (``users_collection``, ``objects.get``).
            p = o.as_pointer()
            have = {cp for cp, ptrs in members.items() if p in ptrs}
            if have == want.keys():
                return
            by_ptr = {c.as_pointer(): c for c in scene.collection.children_recursive}
            by_ptr[scene.collection.as_pointer()] = scene.collection
            if have <= by_ptr.keys():
                try:
                    # Linked first, so it is never out of the scene in between ([B4]).
                    for cp in want.keys() - have:
                        want[cp].objects.link(o)
                    for cp in have - want.keys():
                        by_ptr[cp].objects.unlink(o)
                except RuntimeError:
                    pass  # the membership was wrong after all: Blender is asked below
                else:
                    for cp, ptrs in members.items():
                        (ptrs.add if cp in want else ptrs.discard)(p)
                    return
        # A collection the membership does not know (new, or given an id since):
        # Blender decides, and the membership is made again when next needed.
        C.set_members(scene, o, collections)
        self._members = None

    # -- collections and the camera --------------------------------------------------

    def scan_collections(self) -> dict:
        scene = self.scene()
        out = {getattr(c, PROP): C.state(scene, c, p) for c, p in C.tree(scene, self.col_known)}
        if self._members is not None and {cid for cid, _cp, _p in self._members[1]} != set(out) | {SCENE_COLLECTION}:
            self._members = None  # a collection came, went, or was given an id
        return out

    def collection_members(self, keys, refs):
        self._members = None  # the update named these collections: their members changed
        scene = self.scene()
        by_ptr = {c.as_pointer(): c for c in scene.collection.children_recursive}
        by_ptr[scene.collection.as_pointer()] = scene.collection
        cids = {p: cid for cid, p in self.col_known.items()}
        cids[scene.collection.as_pointer()] = SCENE_COLLECTION
        named, out = set(), set()
        for key in keys:
            c = by_ptr.get(key)
            cid = cids.get(key) or (getattr(c, PROP) if c is not None else '')
            if cid:
                named.add(cid)
            if c is not None:
                out.update(getattr(o, PROP) for o in c.objects)
        out.update(oid for oid, r in refs.items() if named.intersection(r[2]))
        out.discard('')
        return out

    def collection_is_empty(self, cid) -> bool:
        c = C.find(self.scene(), cid)
        return c is None or (len(c.all_objects) == 0 and len(c.children) == 0)

    def write_collection(self, cid, state) -> None:
        C.write(self.scene(), cid, state)
        self._in_scene = self._members = None

    def delete_collection(self, cid) -> None:
        C.delete(self.scene(), cid)
        self._in_scene = self._members = None

    def camera(self):
        cam = self.scene().camera
        return (getattr(cam, 'scenesync_id', '') or None) if cam is not None else None

    def set_camera(self, oid) -> bool:
        if oid is None:
            self.scene().camera = None
            return True
        o = self.objects.obj(oid)
        if o is None:
            return False
        self.scene().camera = o
        return True
