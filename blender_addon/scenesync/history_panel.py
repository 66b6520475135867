"""The History panel in the Scenesync sidebar tab, and the object's id in the
Object properties. Drawing only reads state (history.H); buttons are
operators (history_ops.py)."""
import textwrap
import time

import bpy

from . import history, runtime
from .blender_world import PROP
from .core.history_timeline import duration
from .history_ops import range_ms
from .panel import _chars, _message

H = history.H
_LEVEL_ICONS = ('BLANK1', 'LAYER_USED', 'LAYER_ACTIVE', 'KEYFRAME_HLT')


def _viewed_label() -> str:
    v = H.viewed
    if v and v.get('time') is not None:
        return H.span.label(v['time'])
    if H.moment and H.moment.get('time') is not None:
        return H.span.label(H.moment['time'])
    return '...'


class VIEW3D_PT_scenesync_history(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = 'Scenesync'
    bl_label = 'History'

    def draw(self, context):
        H.drawn_at = time.monotonic()
        layout = self.layout
        props = context.window_manager.scenesync_history
        width = _chars(context)
        if H.preview is not None:
            # The banner wraps to the sidebar: cut short, "live edits paused" would be lost.
            box = layout.box()
            box.alert = True
            col = box.column(align=True)
            lines = [f'Viewing {_viewed_label()} \u2014 live edits paused', 'Edits you make now are not sent.']
            held = len(H.preview.hold.messages)
            if held:
                lines.append(f'{held} live change{"s" if held != 1 else ""} waiting to be shown.')
            first = True
            for text in lines:
                for line in textwrap.wrap(text, width) or ['']:
                    col.label(text=line, icon='TIME' if first else 'BLANK1')
                    first = False
        if not H.loaded:
            row = layout.row()
            row.scale_y = 1.2
            row.operator('scenesync.history_load', icon='TIME')
            if H.error:
                _message(layout, H.error, 'ERROR', width, alert=True)
            return
        span = H.span
        if span.empty:
            layout.label(text='The room has no history yet.', icon='INFO')
            layout.operator('scenesync.history_load', text='Refresh', icon='FILE_REFRESH')
            return
        row = layout.row()
        row.label(text=span.label(span.start))
        right = row.row()
        right.alignment = 'RIGHT'
        right.label(text=span.label(span.end))
        layout.prop(props, 'position', text=_viewed_label() if H.preview is not None else 'Live', slider=True)
        self._markers(layout, context)
        row = layout.row(align=True)
        row.operator('scenesync.history_step', text='', icon='TRIA_LEFT').direction = -1
        if H.preview is not None:
            row.operator('scenesync.history_live', text='Back to live', icon='SCREEN_BACK')
        else:
            row.label(text=f'Live \u2014 {span.entries:,} changes over {duration(span.end - span.start)}')
        row.operator('scenesync.history_step', text='', icon='TRIA_RIGHT').direction = 1
        self._entries(layout, width)
        if H.error:
            _message(layout, H.error, 'ERROR', width, alert=True)
        elif H.message:
            _message(layout, H.message, 'INFO', width)
        layout.operator('scenesync.history_load', text='Refresh', icon='FILE_REFRESH', emboss=False)

    def _markers(self, layout, context):
        region = context.region
        cells = max(8, min(40, int(((region.width if region else 300) - 30) / (20 * context.preferences.system.ui_scale))))
        row = layout.row(align=True)
        row.scale_y = 0.6
        viewed = H.viewed['time'] if H.viewed and H.viewed.get('time') is not None else None
        cur = -1 if viewed is None else min(cells - 1, int(H.span.factor(viewed) * cells))
        for i, (start, level, joined) in enumerate(H.span.markers(cells)):
            icon = 'USER' if joined else _LEVEL_ICONS[level]
            op = row.operator('scenesync.history_jump', text='', icon=icon, depress=(i == cur))
            op.time = (i + 0.5) / cells

    def _entries(self, layout, width):
        if H.viewed and H.viewed.get('seq') is not None:
            seq = H.viewed['seq']
            entries = H.entries.around(seq, before=4, after=2)
        else:
            seq = None
            entries = H.entries.around(2 ** 53, before=5, after=0)
        if not entries:
            return
        col = layout.column(align=True)
        current = H.entries.at_or_before(seq) if seq is not None else None
        for e in reversed(entries):
            text = history.entry_text(e)
            if len(text) > width + 4:
                text = text[:width + 1] + '...'
            here = current is not None and e['seq'] == current['seq']
            op = col.operator('scenesync.history_jump', text=text, emboss=here, depress=here,
                              icon='RIGHTARROW_THIN' if here else 'BLANK1')
            op.seq = e['seq']


class VIEW3D_PT_scenesync_history_play(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = 'Scenesync'
    bl_label = 'Play and bake'
    bl_parent_id = 'VIEW3D_PT_scenesync_history'

    @classmethod
    def poll(cls, context):
        return H.loaded and not H.span.empty

    def draw(self, context):
        layout = self.layout
        props = context.window_manager.scenesync_history
        t0, t1 = range_ms()
        col = layout.column(align=True)
        end = H.span.label(t1) if t1 is not None else 'now'
        length = f' ({duration(t1 - t0)})' if t1 is not None else ''
        col.label(text=f'Range {H.span.label(t0)} \u2013 {end}{length}', icon='PREVIEW_RANGE')
        row = col.row(align=True)
        row.operator('scenesync.history_range', text='Start here').end = 'START'
        row.operator('scenesync.history_range', text='End here').end = 'END'
        row.operator('scenesync.history_range', text='', icon='X').end = 'ALL'
        row = layout.row(align=True)
        row.prop(props, 'speed', text='')
        p = H.play
        if p is None:
            row.operator('scenesync.history_play', text='Play', icon='PLAY')
        else:
            row.operator('scenesync.history_play', text='Stop', icon='PAUSE')
            layout.label(text='Loading the range...' if p.loading else f'Playing {H.span.label(p.t)}', icon='TIME')
        layout.separator()
        col = layout.column(align=True)
        col.prop(props, 'selected_only')
        col.prop(props, 'resample')
        col.prop(props, 'assign')
        job = H.bake
        if job is None:
            layout.operator('scenesync.history_bake', icon='ACTION')
        else:
            what = f'Reading {job.fetched}/{len(job.ids)}' if job.data is None else f'Writing {len(job.ids) - len(job.todo)}/{len(job.ids)}'
            layout.operator('scenesync.history_bake', text=f'Cancel ({what})', icon='CANCEL')


class VIEW3D_PT_scenesync_history_restore(bpy.types.Panel):
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = 'Scenesync'
    bl_label = 'Restore'
    bl_parent_id = 'VIEW3D_PT_scenesync_history'
    bl_options = {'DEFAULT_CLOSED'}

    @classmethod
    def poll(cls, context):
        return H.loaded and not H.span.empty

    def draw(self, context):
        layout = self.layout
        col = layout.column(align=True)
        col.enabled = H.preview is not None and runtime.session.connected
        col.label(text=f'Back to {_viewed_label()}, as a new edit:' if H.preview is not None else 'Pick a moment above first.')
        col.operator('scenesync.history_restore', text='Restore selected', icon='RECOVER_LAST').whole = False
        col.operator('scenesync.history_restore', text='Restore whole scene...', icon='LOOP_BACK').whole = True


class OBJECT_PT_scenesync_id(bpy.types.Panel):
    """The object's id, to find it in queries (scenesync query path --object ID)."""
    bl_space_type = 'PROPERTIES'
    bl_region_type = 'WINDOW'
    bl_context = 'object'
    bl_label = 'Scenesync'

    @classmethod
    def poll(cls, context):
        return context.object is not None

    def draw(self, context):
        layout = self.layout
        oid = getattr(context.object, PROP)
        if not oid:
            layout.label(text='Not synced yet: it gets an id when you connect.', icon='INFO')
            return
        # The id on a line of its own: next to the button a narrow editor cut it short.
        col = layout.column(align=True)
        col.label(text=oid)
        col.operator('scenesync.copy_id', text='Copy id', icon='COPYDOWN')


CLASSES = (VIEW3D_PT_scenesync_history, VIEW3D_PT_scenesync_history_play, VIEW3D_PT_scenesync_history_restore,
           OBJECT_PT_scenesync_id)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
