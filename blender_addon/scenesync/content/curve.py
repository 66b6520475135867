"""Curves (not text or surfaces): splines with their points, handles, radius
and tilt, per-spline type, order, resolution, flags and material; and the
curve's shape settings (bevel, extrude, fill, twist, path)."""
from array import array

import bpy

from . import values
from ..core import geometry as G
from ..core.content_settings import SETTINGS

SPEC = SETTINGS['CURVE']
TYPES = G.SPLINE_TYPES


def new(name):
    return bpy.data.curves.new(name, 'CURVE')


def read_settings(cu) -> dict:
    return values.read(cu, SPEC)


def write_settings(cu, settings: dict) -> None:
    values.write(cu, settings, SPEC)


def _get(coll, prop, typecode, n):
    a = G.zeros(typecode, n)
    if n:
        coll.foreach_get(prop, a)
    return a


def read_geometry(cu) -> list:
    c = {k: array(tc) for _, k, tc in G.CURVE_FIELDS}
    bz = {k: array(tc) for _, k, tc, _ in G.BEZIER_FIELDS}
    pt = {k: array(tc) for _, k, tc, _ in G.POINT_FIELDS}
    for sp in cu.splines:
        t = TYPES.index(sp.type) if sp.type in TYPES else 0
        bezier = t == 1
        pts = sp.bezier_points if bezier else sp.points
        n = len(pts)
        c['types'].append(t)
        c['counts'].append(n)
        c['flags'].append((G.CYCLIC if sp.use_cyclic_u else 0) | (G.ENDPOINT if sp.use_endpoint_u else 0)
                          | (G.BEZIER_KNOTS if sp.use_bezier_u else 0) | (G.SMOOTH if sp.use_smooth else 0))
        c['orders'].append(sp.order_u)
        c['resolutions'].append(sp.resolution_u)
        c['materials'].append(sp.material_index)
        if bezier:
            for prop, key, k in (('co', 'bezier_co', 3), ('handle_left', 'bezier_left', 3), ('handle_right', 'bezier_right', 3),
                                 ('radius', 'bezier_radius', 1), ('tilt', 'bezier_tilt', 1)):
                bz[key].extend(_get(pts, prop, G.F32, k * n))
            # foreach_get reads enums as 0 in Blender 3.4: handle types go point by point (curves are small).
            for p in pts:
                bz['bezier_handle_types'].extend((G.HANDLE_TYPES.index(p.handle_left_type), G.HANDLE_TYPES.index(p.handle_right_type)))
        else:
            for prop, key, k in (('co', 'point_co', 4), ('radius', 'point_radius', 1), ('tilt', 'point_tilt', 1)):
                pt[key].extend(_get(pts, prop, G.F32, k * n))
    return G.curve_parts(dict(c, **bz, **pt))


def write_geometry(cu, data) -> None:
    kind, c = G.decode(data)
    if kind != 'CURVE':
        raise G.GeometryError(f'a curve cannot take {kind} geometry')
    cu.splines.clear()
    ib = ip = 0
    for i, t in enumerate(c['types']):
        n = c['counts'][i]
        sp = cu.splines.new(TYPES[t])
        bezier = t == 1
        pts = sp.bezier_points if bezier else sp.points
        pts.add(n - len(pts))
        if bezier:
            for prop, key, k in (('co', 'bezier_co', 3), ('handle_left', 'bezier_left', 3), ('handle_right', 'bezier_right', 3),
                                 ('radius', 'bezier_radius', 1), ('tilt', 'bezier_tilt', 1)):
                pts.foreach_set(prop, c[key][k * ib:k * (ib + n)])
            ht = c['bezier_handle_types'][2 * ib:2 * (ib + n)]
            for j, p in enumerate(pts):
                p.handle_left_type = G.HANDLE_TYPES[ht[2 * j]]
                p.handle_right_type = G.HANDLE_TYPES[ht[2 * j + 1]]
            ib += n
        else:
            for prop, key, k in (('co', 'point_co', 4), ('radius', 'point_radius', 1), ('tilt', 'point_tilt', 1)):
                pts.foreach_set(prop, c[key][k * ip:k * (ip + n)])
            ip += n
        f = c['flags'][i]
        sp.use_cyclic_u = bool(f & G.CYCLIC)
        sp.use_endpoint_u = bool(f & G.ENDPOINT)
        sp.use_bezier_u = bool(f & G.BEZIER_KNOTS)
        sp.use_smooth = bool(f & G.SMOOTH)
        sp.order_u = c['orders'][i]
        sp.resolution_u = c['resolutions'][i]
        sp.material_index = c['materials'][i]
    cu.update_tag()
