"""The 3D Viewport sidebar tab: connection, status, and who else is here."""
import textwrap

import bpy

from . import runtime
from .core.session import STATUS_LABELS
from .props import prefs

_ICONS = {'synced': 'CHECKMARK', 'connecting': 'SORTTIME', 'starting': 'SORTTIME',
          'offline': 'UNLINKED', 'error': 'ERROR', 'disconnected': 'RADIOBUT_OFF'}


class VIEW3D_PT_scenesync(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = 'Scenesync'
    bl_label = 'Scenesync'

    def draw(self, context):
        layout = self.layout
        s = runtime.session
        p = prefs(context)
        if p is not None:
            col = layout.column(align=True)
            col.enabled = not s.connected
            col.prop(p, 'server_url', text='')
            col.prop(p, 'room')
            col.prop(p, 'display_name', text='Name')
        row = layout.row()
        row.scale_y = 1.3
        if s.connected:
            row.operator('scenesync.disconnect', icon='CANCEL')
        else:
            row.operator('scenesync.connect', icon='URL')
        layout.label(text=STATUS_LABELS.get(s.status, s.status), icon=_ICONS.get(s.status, 'INFO'))
        if s.error:
            box = layout.box()
            box.alert = True
            for i, line in enumerate(textwrap.wrap(s.error, 40)[:6]):
                box.label(text=line, icon='ERROR' if i == 0 else 'BLANK1')
        _content(layout, s, _chars(context))
        peers = context.window_manager.scenesync_peers
        if s.connected:
            layout.label(text=f'Others here: {len(peers)}')
        for peer in peers:
            row = layout.row(align=True)
            swatch = row.row()
            swatch.ui_units_x = 1.2
            swatch.prop(peer, 'color', text='')
            row.label(text=peer.name)
            if peer.selection:
                layout.label(text=f'    selected: {peer.selection}')


def _chars(context) -> int:
    """How many characters fit on a line of the sidebar as wide as it is now."""
    region = getattr(context, 'region', None)
    scale = context.preferences.system.ui_scale if context.preferences else 1.0
    width = region.width if region is not None else 300
    # About 8.5 px a character at scale 1, and room for an icon and the box's margins.
    return max(14, int((width - 40 * scale) / (8.5 * scale)))


def _content(layout, s, chars) -> None:
    """What happened to scene content that the person should know."""
    from .core.content_sync import describe
    d = describe(s)
    if d['waiting']:
        for i, part in enumerate(textwrap.wrap(f'{d["waiting"]} change(s) from others wait until you leave edit mode', chars)):
            layout.label(text=part, icon='TIME' if i == 0 else 'BLANK1')
    if d['unsupported']:
        box = layout.box()
        box.label(text='Arrived as empties:', icon='INFO')
        for line in d['unsupported'][:6]:
            for part in textwrap.wrap(line, chars):
                box.label(text=part, icon='BLANK1')
    for note in d['notices'][-3:]:
        box = layout.box()
        for i, part in enumerate(textwrap.wrap(note, chars)[:5]):
            box.label(text=part, icon='INFO' if i == 0 else 'BLANK1')


CLASSES = (VIEW3D_PT_scenesync,)

# Blender's own helper: registers in order, unregisters in reverse.
register, unregister = bpy.utils.register_classes_factory(CLASSES)
