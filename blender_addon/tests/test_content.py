"""Scene content in the session: what is sent (and what never is), what is
applied, edit mode, collections, camera (core/content_sync.py, with dicts for Blender)."""
import os
import shutil
import tempfile
import unittest

from content_fakes import FakeContent, mesh_bytes
from fakes import Clock, FakeAgent, FakeWorld, obj_msg, xf
from core import geometry as G
from core.session import Session


class ContentCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='scenesync-content-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, build=None, objects=(), data=(), collections=(), settings=None):
        self.clock = Clock()
        self.s = Session(clock=self.clock, log=lambda m: None)
        self.w = FakeWorld()
        self.c = FakeContent(self.w)
        if build:
            build(self.w, self.c)
        self.s.content.world = self.c
        self.s.content.outbox = os.path.join(self.tmp, 'outbox')
        self.agent = FakeAgent()
        self.s.connect(self.agent, ('ws://test', 'room'))
        self.agent.push({'type': 'status', 'status': 'synced'})
        self.agent.push({'type': 'scene', 'objects': [dict(o, full=True) for o in objects], 'data': list(data),
                         'collections': list(collections), 'settings': settings or {'camera': None}})
        self.s.pump(self.w)
        self.c.depsgraph(self.s)  # the handler call that follows what was applied

    def remote_file(self, data):
        h, path = G.store(os.path.join(self.tmp, 'agent'), data)
        return {'hash': h, 'path': path, 'size': len(data)}

    def ops(self, kind=None):
        out = self.agent.take()
        return [o for o in out if kind is None or o['op'] == kind]


class SendingTest(ContentCase):
    def test_D1_a_new_mesh_object_goes_out_with_its_data_geometry_and_material_in_one_line(self):
        self.start()
        self.agent.take()
        self.w.add('o1', 'Monkey')
        self.c.add_data('m1', 'MESH', 'Suzanne', {'use_auto_smooth': False}, mesh_bytes())
        self.c.add_data('red', 'MATERIAL', 'Red', {'principled.base_color': (0.8, 0.0, 0.0, 1.0)})
        self.c.link('o1', 'm1', ('red',), ('@scene',))
        self.c.depsgraph(self.s, structure=True)
        self.assertEqual(len(self.agent.lines), 1, 'one line: one transaction')
        ops = self.agent.ops()
        kinds = [o['op'] for o in ops]
        self.assertEqual(kinds[0], 'upsert')
        self.assertLess(kinds.index('upsert'), kinds.index('link'))
        data = {o['id']: o for o in ops if o['op'] == 'data'}
        self.assertEqual(set(data), {'m1', 'red'})
        g = data['m1']['geometry']
        self.assertEqual(G.digest(G.load(g['path'])), g['hash'])
        self.assertEqual(data['red']['settings'], {'principled.base_color': [0.800000011920929, 0.0, 0.0, 1.0]})
        link = next(o for o in ops if o['op'] == 'link')
        self.assertEqual(link, {'op': 'link', 'id': 'o1', 'data': 'm1', 'materials': ['red'], 'collections': ['@scene']})

    def test_D2_moves_renames_and_selection_read_no_geometry_and_send_none(self):
        self.start()
        self.w.add('o1', 'Monkey')
        self.c.add_data('m1', 'MESH', 'Suzanne', {}, mesh_bytes())
        self.c.link('o1', 'm1')
        self.c.depsgraph(self.s, structure=True)
        self.agent.take()
        reads = self.c.reads
        for i in range(200):
            self.w.objs['o1']['xform'] = xf(i * 0.1)
            self.c.depsgraph(self.s, objects=['o1'])
            self.clock.tick(0.02)
            self.s.pump(self.w)
        self.w.objs['o1']['name'] = 'Monkey2'
        self.c.depsgraph(self.s, others=['o1'])
        self.s.local_selection(['o1'], 'o1')
        self.c.depsgraph(self.s, structure=True)  # a selection shows as a Scene update
        self.assertEqual(self.c.reads, reads, 'geometry was never read')
        ops = self.agent.ops()
        self.assertTrue(ops)
        self.assertEqual({o['op'] for o in ops}, {'xform', 'rename', 'selection'})

    def test_D2_geometry_goes_out_when_it_changed_and_only_then(self):
        self.start()
        self.w.add('o1', 'Plane')
        self.c.add_data('m1', 'MESH', 'Plane', {}, mesh_bytes())
        self.c.link('o1', 'm1')
        self.c.depsgraph(self.s, structure=True)
        self.agent.take()
        self.c.data['m1']['geometry'] = mesh_bytes(z=1.0)
        self.c.depsgraph(self.s, data=['m1'], geometry=True)
        sent = self.ops('data')
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]['geometry']['hash'], G.digest(mesh_bytes(z=1.0)))
        # The depsgraph reports a geometry update, but the geometry is what was sent.
        self.c.depsgraph(self.s, data=['m1'], geometry=True)
        self.assertEqual(self.ops(), [])

    def test_linked_duplicates_share_one_data_block_sent_once(self):
        self.start()
        self.w.add('a', 'Crate')
        self.w.add('b', 'Crate.001')
        self.c.add_data('m', 'MESH', 'Crate', {}, mesh_bytes())
        self.c.link('a', 'm')
        self.c.link('b', 'm')
        self.c.depsgraph(self.s, structure=True)
        ops = self.agent.ops()
        self.assertEqual([o['id'] for o in ops if o['op'] == 'data'], ['m'])
        self.assertEqual([o.get('data') for o in ops if o['op'] == 'link'], ['m', 'm'])

    def test_collections_go_out_parents_first_with_flags_and_membership(self):
        self.start()
        self.agent.take()
        self.c.cols = {
            'c3': {'name': 'Small', 'parent': 'c2', 'flags': {'hide_render': False}},
            'c1': {'name': 'Set', 'parent': None, 'flags': {'hide_render': False}},
            'c2': {'name': 'Props', 'parent': 'c1', 'flags': {'hide_render': True}},
        }
        self.w.add('cup', 'Cup', type='EMPTY')
        self.c.link('cup', None, (), ('c3',))
        self.c.depsgraph(self.s, structure=True)
        ops = self.agent.ops()
        cols = [o for o in ops if o['op'] == 'collection']
        self.assertEqual([o['id'] for o in cols], ['c1', 'c2', 'c3'])
        self.assertEqual(cols[1], {'op': 'collection', 'id': 'c2', 'name': 'Props', 'parent': 'c1', 'flags': {'hide_render': True}})
        self.assertIn({'op': 'link', 'id': 'cup', 'data': None, 'materials': [], 'collections': ['c3']}, ops)
        del self.c.cols['c3']
        self.c.link('cup', None, (), ('c2',))
        self.c.depsgraph(self.s, structure=True)
        ops = self.agent.ops()
        self.assertIn({'op': 'uncollection', 'id': 'c3'}, ops)
        self.assertIn({'op': 'link', 'id': 'cup', 'collections': ['c2']}, ops)

    def test_an_empty_collection_only_this_file_has_is_not_shared_on_joining_until_used(self):
        def build(w, c):
            c.cols['factory'] = {'name': 'Collection', 'parent': None, 'flags': {}}
        self.start(build, collections=[{'type': 'collection', 'id': 'c1', 'name': 'Set', 'parent': None, 'flags': {}}])
        self.assertNotIn('factory', [o.get('id') for o in self.ops('collection')])
        self.w.add('cup', 'Cup', type='EMPTY')
        self.c.link('cup', None, (), ('factory',))
        self.c.depsgraph(self.s, structure=True)
        self.assertEqual([o['id'] for o in self.ops('collection')], ['factory'])

    def test_the_active_camera_goes_out(self):
        self.start()
        self.w.add('cam', 'Camera', type='CAMERA')
        self.c.add_data('cd', 'CAMERA', 'Camera', {'lens': 85.0})
        self.c.link('cam', 'cd')
        self.c.cam = 'cam'
        self.c.depsgraph(self.s, structure=True)
        self.assertIn({'op': 'camera', 'id': 'cam'}, self.agent.ops())


class ApplyingTest(ContentCase):
    def joined(self):
        """B from an empty file: the doc holds a mesh object, its material and a camera."""
        data = mesh_bytes(z=2.0, quads=3)
        self.start(objects=[obj_msg('o1', 'Monkey'), dict(obj_msg('cam', 'Camera', type='CAMERA'), data='cd')],
                   data=[{'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Suzanne', 'settings': {'use_auto_smooth': True}, 'geometry': None},
                         {'type': 'data', 'id': 'red', 'kind': 'MATERIAL', 'name': 'Red', 'settings': {'principled.base_color': [0.8, 0, 0, 1]}},
                         {'type': 'data', 'id': 'cd', 'kind': 'CAMERA', 'name': 'Cam', 'settings': {'lens': 85.0}}],
                   settings={'camera': 'cam'})
        return data

    def test_D1_joining_from_an_empty_file_builds_everything_and_sends_nothing_back(self):
        self.start(objects=[dict(obj_msg('o1', 'Monkey'), data='m1', materials=['red'], collections=['c1'])],
                   data=[{'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Suzanne', 'settings': {'use_auto_smooth': True},
                          'geometry': None},
                         {'type': 'data', 'id': 'red', 'kind': 'MATERIAL', 'name': 'Red', 'settings': {'principled.base_color': [0.8, 0, 0, 1]}}],
                   collections=[{'type': 'collection', 'id': 'c1', 'name': 'Set', 'parent': None, 'flags': {'hide_render': True}}])
        # The geometry arrives in a later data message (its chunks came after the scene).
        g = self.remote_file(mesh_bytes(z=2.0, quads=3))
        self.agent.push({'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Suzanne', 'settings': {}, 'geometry': g})
        self.s.pump(self.w)
        self.assertEqual(self.c.data['m1']['geometry'], mesh_bytes(z=2.0, quads=3))
        self.assertEqual(self.c.links['o1'], ['m1', ('red',), ('c1',)])
        self.assertEqual(self.c.cols['c1']['flags'], {'hide_render': True})
        # The depsgraph echo of what was applied:
        self.c.depsgraph(self.s, data=['m1', 'red'], geometry=True, objects=['o1'], structure=True)
        self.clock.tick(1)
        self.s.pump(self.w)
        self.assertEqual([o for o in self.agent.ops() if o['op'] not in ('scene', 'selection')], [])

    def test_D3_a_remote_change_to_a_mesh_being_edited_waits_and_is_applied_if_nothing_was_edited(self):
        self.start(objects=[dict(obj_msg('o1', 'Plane'), data='m1')],
                   data=[{'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Plane', 'settings': {}, 'geometry': self.remote_file(mesh_bytes(0.5))}])
        self.agent.take()
        self.c.data['m1']['editing'] = True
        self.agent.push({'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Plane', 'settings': {}, 'geometry': self.remote_file(mesh_bytes(3.0))})
        self.s.pump(self.w)
        self.c.depsgraph(self.s)
        self.assertEqual(self.c.data['m1']['geometry'], mesh_bytes(0.5), 'not while editing')
        self.c.data['m1']['editing'] = False  # left edit mode, nothing changed
        self.c.depsgraph(self.s, data=['m1'], geometry=True)
        self.assertEqual(self.c.data['m1']['geometry'], mesh_bytes(3.0))
        self.assertEqual(self.ops('data'), [])
        self.assertEqual(self.s.content.notices, [])

    def test_D3_when_the_person_edited_too_their_later_edit_wins_and_they_are_told(self):
        self.start(objects=[dict(obj_msg('o1', 'Plane'), data='m1')],
                   data=[{'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Plane', 'settings': {}, 'geometry': self.remote_file(mesh_bytes(0.5))}])
        self.s.peers = [{'name': 'Ann'}]
        self.agent.take()
        self.c.data['m1']['editing'] = True
        self.agent.push({'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Plane', 'settings': {}, 'geometry': self.remote_file(mesh_bytes(3.0))})
        self.s.pump(self.w)
        self.c.data['m1']['geometry'] = mesh_bytes(7.0)   # the edit
        self.c.data['m1']['editing'] = False
        self.c.depsgraph(self.s, data=['m1'], geometry=True)
        sent = self.ops('data')
        self.assertEqual([o['geometry']['hash'] for o in sent], [G.digest(mesh_bytes(7.0))])
        self.assertEqual(self.c.data['m1']['geometry'], mesh_bytes(7.0))
        self.assertEqual(self.s.content.notices, ['Ann changed "Plane" while you were editing it; your edit replaced theirs.'])

    def test_D3_sync_while_editing_sends_at_most_once_per_interval(self):
        self.start(objects=[dict(obj_msg('o1', 'Plane'), data='m1')],
                   data=[{'type': 'data', 'id': 'm1', 'kind': 'MESH', 'name': 'Plane', 'settings': {}, 'geometry': self.remote_file(mesh_bytes(0.5))}])
        self.agent.take()
        self.c.data['m1']['editing'] = True
        for i in range(10):
            self.c.data['m1']['geometry'] = mesh_bytes(float(i))
            self.s.content.note_edit('m1')
            self.s.pump(self.w)
            self.clock.tick(0.1)
        self.assertEqual(self.ops('data'), [], 'off by default')
        self.s.content.sync_while_editing = True
        for i in range(10):
            self.c.data['m1']['geometry'] = mesh_bytes(float(10 + i))
            self.s.content.note_edit('m1')
            self.s.pump(self.w)
            self.clock.tick(0.1)
        self.assertEqual(len(self.ops('data')), 2)   # 1 s of edits at one send per 0.5 s

    def test_settings_merge_three_ways_a_local_unsent_change_wins(self):
        self.start(objects=[dict(obj_msg('l', 'Lamp', type='LIGHT'), data='ld')],
                   data=[{'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 10.0, 'type': 'POINT'}}])
        self.assertEqual(self.c.data['ld']['settings'], {'energy': 10.0, 'type': 'POINT'})
        self.agent.take()
        self.agent.push({'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 5000.0, 'type': 'SPOT'}})
        self.s.pump(self.w)
        self.assertEqual(self.c.data['ld']['settings'], {'energy': 5000.0, 'type': 'SPOT'})
        self.assertEqual(self.ops('data'), [], 'an applied change is not sent back')
        self.c.data['ld']['settings']['energy'] = 20.0     # local, not captured yet
        self.agent.push({'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 7.0, 'type': 'SPOT'}})
        self.s.pump(self.w)
        self.assertEqual(self.c.data['ld']['settings']['energy'], 20.0)
        self.assertEqual([o.get('settings') for o in self.ops('data')], [{'energy': 20.0}])

    def test_a_type_that_cannot_be_built_is_listed_with_the_reason_and_its_links_are_never_overwritten(self):
        self.start(objects=[dict(obj_msg('t', 'Title', type='FONT'), data='text-data', collections=['@scene'])])
        self.assertEqual(list(self.s.content.unsupported.values()), [('Title', 'FONT', 'text objects are not synced yet')])
        self.c.depsgraph(self.s, objects=['t'], structure=True)
        self.assertEqual(self.ops('link'), [], 'the empty standing in for it sends no link (it would clear the data)')

    def test_the_active_camera_is_applied(self):
        self.start(objects=[dict(obj_msg('cam', 'Camera', type='CAMERA'), data='cd')],
                   data=[{'type': 'data', 'id': 'cd', 'kind': 'CAMERA', 'name': 'Cam', 'settings': {'lens': 85.0}}],
                   settings={'camera': 'cam'})
        self.assertEqual(self.c.cam, 'cam')
        self.assertEqual(self.c.links['cam'][0], 'cd')
        self.assertEqual(self.c.data['cd']['settings'], {'lens': 85.0})


class KeptTest(ContentCase):
    def test_B3_the_synced_state_kept_in_the_file_tells_an_offline_edit_from_an_old_value(self):
        import json
        self.start(objects=[dict(obj_msg('l', 'Lamp', type='LIGHT'), data='ld')],
                   data=[{'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 10.0}}])
        saved = json.loads(json.dumps(self.s.content.dump()))
        # Offline, in a restarted Blender that reopened the file: a local edit.
        self.s.content.load(saved)
        self.c.data['ld']['settings']['energy'] = 99.0
        self.s.content_target = ('ws://test', 'room')
        self.agent = agent = FakeAgent()
        self.s.disconnect()
        self.s.connect(agent, ('ws://test', 'room'))
        agent.push({'type': 'status', 'status': 'synced'})
        agent.push({'type': 'scene', 'objects': [dict(obj_msg('l', 'Lamp', type='LIGHT'), data='ld', full=True)],
                    'data': [{'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 10.0}}],
                    'collections': [], 'settings': {'camera': None}})
        self.s.pump(self.w)
        self.assertEqual(self.c.data['ld']['settings']['energy'], 99.0, 'the offline edit stays')
        self.assertEqual([o.get('settings') for o in agent.ops() if o['op'] == 'data'], [{'energy': 99.0}])

    def test_an_undo_that_rolls_back_someone_elses_setting_puts_it_back_and_sends_nothing(self):
        self.start(objects=[dict(obj_msg('l', 'Lamp', type='LIGHT'), data='ld')],
                   data=[{'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 10.0}}])
        self.agent.take()
        self.agent.push({'type': 'data', 'id': 'ld', 'kind': 'LIGHT', 'name': 'Lamp', 'settings': {'energy': 50.0}})
        self.s.pump(self.w)
        self.c.depsgraph(self.s)
        self.c.data['ld']['settings']['energy'] = 10.0   # Blender's undo restored the older file state
        self.s.content.after_undo()
        self.c.depsgraph(self.s, data=['ld'])
        self.assertEqual(self.c.data['ld']['settings']['energy'], 50.0)
        self.assertEqual(self.ops('data'), [])


if __name__ == '__main__':
    unittest.main()
