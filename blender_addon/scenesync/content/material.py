"""Materials: name, viewport display settings and the Principled BSDF's main
inputs (base colour, metallic, roughness, specular, IOR, transmission, emission
and its strength, alpha). Other node trees are not synced: a material whose
tree has no Principled BSDF syncs only its viewport settings."""
import bpy

from . import values
from ..core.content_settings import SETTINGS

SPEC = SETTINGS['MATERIAL']


def new(name):
    return bpy.data.materials.new(name)


def principled(mat):
    if not mat.use_nodes or mat.node_tree is None:
        return None
    for n in mat.node_tree.nodes:
        if n.type == 'BSDF_PRINCIPLED':
            return n
    return None


def _get(mat, name):
    n = principled(mat)
    if n is None or name not in n.inputs:
        return None
    return values.plain(n.inputs[name].default_value)


def _set(mat, name, v):
    n = principled(mat)
    if n is None or name not in n.inputs:
        return
    sock = n.inputs[name]
    if values.plain(sock.default_value) != v:
        sock.default_value = v


def read_settings(mat) -> dict:
    return values.read(mat, SPEC, _get)


def write_settings(mat, settings: dict) -> None:
    values.write(mat, settings, SPEC, _set)
