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
        if s.connected and runtime.world.scene_name:
            layout.label(text=f'Scene: {runtime.world.scene_name}', icon='SCENE_DATA')
        width = _chars(context)
        if s.error:
            _message(layout, s.error, 'ERROR', width, alert=True)
        elif s.detail and s.status == 'offline':
            _message(layout, s.detail, 'UNLINKED', width)
        if s.notice:
            _message(layout, s.notice, 'INFO', width)
        _content(layout, s, width)
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
    """How many characters fit on one line of the sidebar, as wide as it is now."""
    region = context.region
    scale = context.preferences.system.ui_scale
    width = region.width if region is not None else 300
    # Margins, the box and the icon take about 70 px; a character about 7.5 px at scale 1.
    return max(16, int((width - 70) / (7.5 * scale)))


def _message(layout, text: str, icon: str, width: int, alert: bool = False) -> None:
    """The whole message, wrapped to the sidebar, with a button to copy it."""
    box = layout.box()
    box.alert = alert
    col = box.column(align=True)
    for i, line in enumerate(textwrap.wrap(text, width) or ['']):
        col.label(text=line, icon=icon if i == 0 else 'BLANK1')
    box.operator('scenesync.copy_message', text='Copy message', icon='COPYDOWN').text = text


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
