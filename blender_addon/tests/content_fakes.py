"""A scene's content held in dicts (core/content_world.py's interface), and tiny
real geometry values for it."""
from array import array

from fakes import FakeWorld, connected, obj_msg  # noqa: F401  (re-exported for the tests)
from core import geometry as G
from core.content_world import ContentWorld


def mesh_bytes(z=0.0, quads=1):
    """A strip of ``quads`` quads at height z, encoded."""
    n = quads
    pos = array('f')
    for i in range(n + 1):
        pos.extend((float(i), 0.0, z, float(i), 1.0, z))
    edges, lv, le, starts, sizes = array('I'), array('I'), array('I'), array('I'), array('I')
    idx = {}

    def edge(a, b):
        k = (min(a, b), max(a, b))
        if k not in idx:
            idx[k] = len(edges) // 2
            edges.extend(k)
        return idx[k]
    for q in range(n):
        f = [2 * q, 2 * q + 2, 2 * q + 3, 2 * q + 1]
        starts.append(len(lv))
        sizes.append(4)
        for i, v in enumerate(f):
            lv.append(v)
            le.append(edge(v, f[(i + 1) % 4]))
    return G.encode_mesh({'positions': pos, 'edges': edges, 'loop_vertices': lv, 'loop_edges': le,
                          'face_starts': starts, 'face_sizes': sizes, 'uv_layers': []})


class FakeContent(ContentWorld):
    def __init__(self, objects: FakeWorld):
        self.objects = objects
        self.data = {}        # did -> {'kind', 'name', 'settings', 'geometry': bytes | None, 'editing': bool}
        self.links = {}       # oid -> [data, materials tuple, collections tuple]
        self.cols = {}        # cid -> {'name', 'parent', 'flags'}
        self.cam = None
        self.reads = 0        # read_geometry calls (each is a full encode in Blender)
        self.writes = []

    def add_data(self, did, kind, name, settings=None, geometry=None):
        self.data[did] = {'kind': kind, 'name': name, 'settings': dict(settings or {}), 'geometry': geometry, 'editing': False}
        return did

    def link(self, oid, data=None, materials=(), collections=('@scene',)):
        self.links[oid] = [data, tuple(materials), tuple(collections)]

    def scan_data(self):
        out = {}
        for oid, (d, mats, _) in self.links.items():
            if oid in self.objects.objs:
                for x in [d] + list(mats):
                    if x is not None and x in self.data:
                        out[x] = self.data[x]['kind']
        return out

    def read_data(self, did):
        d = self.data.get(did)
        return None if d is None else (d['kind'], d['name'], dict(d['settings']))

    def read_geometry(self, did):
        self.reads += 1
        d = self.data.get(did)
        return None if d is None else d['geometry']

    def is_editing(self, did):
        return did in self.data and self.data[did]['editing']

    def flush_edit(self, did):
        self.writes.append(('flush', did))

    def create_data(self, did, kind, name):
        self.writes.append(('create', did))
        self.add_data(did, kind, name, geometry=mesh_bytes(-1) if kind == 'MESH' else None)
        return True

    def write_data(self, did, name, settings):
        self.writes.append(('data', did))
        d = self.data[did]
        if name is not None:
            d['name'] = name
        d['settings'].update(settings)
        return dict(d['settings'])

    # What the glue's depsgraph handler does, in order.
    def depsgraph(self, s, data=(), geometry=False, objects=(), structure=False, others=()):
        for did in data:
            s.content.note_data(did, geometry)
        for oid in objects:
            s.content.note_object(oid)
        if structure:
            s.content.note_structure()
        s.local_changed(self.objects, list(objects), others=list(others))
        if structure:
            s.local_structure(self.objects)
        s.content.end_updates()

    def write_geometry(self, did, kind, data):
        self.writes.append(('geometry', did))
        self.data[did]['geometry'] = bytes(data)
        return True

    def object_refs(self, oid):
        if oid not in self.objects.objs:
            return None
        d, m, c = self.links.setdefault(oid, [None, (), ('@scene',)])
        return (d, tuple(m), tuple(c))

    def object_type(self, oid):
        o = self.objects.objs.get(oid)
        return None if o is None else o['type']

    def set_object_data(self, oid, did, drop_old=False):
        self.writes.append(('link', oid))
        self.links.setdefault(oid, [None, (), ('@scene',)])[0] = did
        return True

    def set_object_materials(self, oid, materials):
        self.links.setdefault(oid, [None, (), ('@scene',)])[1] = tuple(materials)

    def set_object_collections(self, oid, collections):
        self.links.setdefault(oid, [None, (), ('@scene',)])[2] = tuple(collections)

    def scan_collections(self):
        return {cid: {'name': c['name'], 'parent': c['parent'], 'flags': dict(c['flags'])} for cid, c in self.cols.items()}

    def collection_is_empty(self, cid):
        if any(c['parent'] == cid for c in self.cols.values()):
            return False
        return not any(cid in cols for oid, (_, _, cols) in self.links.items() if oid in self.objects.objs)

    def write_collection(self, cid, state):
        self.writes.append(('collection', cid))
        self.cols[cid] = {'name': state['name'], 'parent': state['parent'], 'flags': dict(state['flags'])}

    def delete_collection(self, cid):
        self.cols.pop(cid, None)

    def camera(self):
        return self.cam

    def set_camera(self, oid):
        self.cam = oid
        return True
