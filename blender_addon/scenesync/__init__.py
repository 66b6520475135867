"""scenesync: edit one Blender scene together, live.

The add-on starts the scenesync agent, sends this Blender's edits to it and
applies everyone else's. The logic lives in core/ (no bpy); the modules here
are the glue to Blender. See blender_addon/README.md for installing and
connecting, and docs/agent-protocol.md for what travels to the agent.
"""

bl_info = {
    'name': 'scenesync',
    'author': 'scenesync contributors',
    'version': (0, 1, 0),
    'blender': (3, 4, 0),
    'location': 'View3D > Sidebar > Scenesync',
    'description': 'Several people edit one scene live: objects, meshes, rigs, materials, lights, cameras, '
                   'collections, presence; every edit kept in a log',
    'category': '3D View',
}

if 'bpy' in locals():
    # Reloading scripts (F3 > Reload Scripts) re-imports in dependency order.
    import importlib
    for _m in (core.xform, core.protocol, core.coalescer, core.shadow, core.inflight, core.adopt, core.capture, core.merge,  # noqa: F821
               core.undo, core.geometry, core.content_settings, core.content_world, core.content_sync,  # noqa: F821
               core.session, core.agent_process, core.colors, core.ids, core.world,  # noqa: F821
               core.history_client, core.history_timeline, core.history_sampler, core.history_recording,  # noqa: F821
               core.history_preview, core.history_restore,  # noqa: F821
               content.values, content.mesh, content.armature, content.curve, content.material,  # noqa: F821
               content.light, content.camera, content.collection, content, content.world, content.glue,  # noqa: F821
               blender_world, props, ui_state, runtime, operators, panel, presence,  # noqa: F821
               history_scene, history_geometry, history_bake, history_preview, history, history_play, history_jobs, history_ops, history_panel):  # noqa: F821
        importlib.reload(_m)

import bpy  # noqa: E402

from . import core  # noqa: E402,F401
from . import content  # noqa: E402,F401
from . import blender_world, operators, panel, presence, props, runtime, ui_state  # noqa: E402,F401
from . import history, history_ops, history_panel  # noqa: E402

_MODULES = (props, content, operators, panel, presence, runtime, history_ops, history_panel, history)


def pump():
    """The function the timer calls; headless scripts call it themselves."""
    return runtime.pump()


def register():
    for m in _MODULES:
        m.register()


def unregister():
    for m in reversed(_MODULES):
        m.unregister()
