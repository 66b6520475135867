"""Meshes: geometry (positions, edges, faces with their loops, UV layers,
smooth and sharp flags, material indices) through foreach_get/foreach_set on
flat arrays, never a per-vertex Python loop; and the auto-smooth settings."""
import bpy

from . import values
from ..core import geometry as G
from ..core.content_settings import SETTINGS

SPEC = SETTINGS['MESH']


def new(name):
    return bpy.data.meshes.new(name)


def read_settings(me) -> dict:
    return values.read(me, SPEC)


def write_settings(me, settings: dict) -> None:
    values.write(me, settings, SPEC)


def _get(coll, prop, typecode, n):
    a = G.zeros(typecode, n)
    if n:
        coll.foreach_get(prop, a)
    return a


def read_geometry(me) -> list:
    """The encoded value as parts (core/geometry.py container_parts)."""
    V, E, L, F = len(me.vertices), len(me.edges), len(me.loops), len(me.polygons)
    uvs = [(layer.name, _get(layer.data, 'uv', G.F32, 2 * L)) for layer in me.uv_layers]
    render = next((i for i, layer in enumerate(me.uv_layers) if layer.active_render), 0)
    return G.mesh_parts({
        # 'I' (unsigned) is what Blender's fast path takes for indices: ten times faster than 'i'.
        'positions': _get(me.vertices, 'co', G.F32, 3 * V),
        'edges': _get(me.edges, 'vertices', G.U32, 2 * E),
        'loop_vertices': _get(me.loops, 'vertex_index', G.U32, L),
        'loop_edges': _get(me.loops, 'edge_index', G.U32, L),
        'face_starts': _get(me.polygons, 'loop_start', G.U32, F),
        'face_sizes': _get(me.polygons, 'loop_total', G.U32, F),
        'smooth': _get(me.polygons, 'use_smooth', G.U8, F),
        'material_indices': _get(me.polygons, 'material_index', G.U32, F),
        'sharp_edges': _get(me.edges, 'use_edge_sharp', G.U8, E),
        'uv_layers': uvs,
        'active_uv': max(0, me.uv_layers.active_index) if uvs else 0,
        'active_render_uv': render if uvs else 0,
    })


def write_geometry(me, data) -> None:
    kind, m = G.decode(data)
    if kind != 'MESH':
        raise G.GeometryError(f'a mesh cannot take {kind} geometry')
    V, E, L, F = m['counts']
    me.clear_geometry()
    me.vertices.add(V)
    me.edges.add(E)
    me.loops.add(L)
    me.polygons.add(F)
    if V:
        me.vertices.foreach_set('co', m['positions'])
    if E:
        me.edges.foreach_set('vertices', m['edges'])
    if L:
        # Setting the loops' edges too spares Blender calc_edges (a second per million faces).
        me.loops.foreach_set('vertex_index', m['loop_vertices'])
        me.loops.foreach_set('edge_index', m['loop_edges'])
    if F:
        me.polygons.foreach_set('loop_start', m['face_starts'])
        me.polygons.foreach_set('loop_total', m['face_sizes'])
        if m['smooth'] is not None:
            me.polygons.foreach_set('use_smooth', m['smooth'])
        if m['material_indices'] is not None:
            # Through polygons, not the "material_index" attribute: in Blender 3.4 a generic
            # attribute made under that name is not the one faces render with.
            me.polygons.foreach_set('material_index', m['material_indices'])
    if E and m['sharp_edges'] is not None:
        me.edges.foreach_set('use_edge_sharp', m['sharp_edges'])
    for name, uv in m['uv_layers']:
        layer = me.uv_layers.new(name=name, do_init=False)
        if layer is not None and L:
            layer.data.foreach_set('uv', uv)
    if m['uv_layers']:
        me.uv_layers.active_index = min(m['active_uv'], len(me.uv_layers) - 1)
        r = min(m['active_render_uv'], len(me.uv_layers) - 1)
        me.uv_layers[r].active_render = True
    me.update()
