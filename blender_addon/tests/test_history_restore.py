"""Restore ([B5]): past values put back as one new edit, deleted objects back
with their id, nothing sent for what already matches."""
import unittest

from fakes import FakeWorld, connected, obj_msg, xf
from core import history_restore as R
from core.history_recording import PastObject


def past(oid, name, x=0.0, parent=None, visible=True, pose=None, type='MESH'):
    return PastObject(oid, name, type, parent, visible, xf(x), dict(pose or {}))


class RestoreTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        w.add('a', 'Cube', xform=xf(5))
        w.add('b', 'Lamp', xform=xf(2))
        w.add('new', 'Later', xform=xf(0))
        w.add('r', 'Rig', type='ARMATURE', xform=xf(0), bones={'spine': xf(9)})
        self.s, self.agent, self.w, self.clock = connected(w, [
            obj_msg('a', 'Cube', xform=xf(5)), obj_msg('b', 'Lamp', xform=xf(2)), obj_msg('new', 'Later'),
            obj_msg('r', 'Rig', type='ARMATURE', pose={'spine': xf(9)})])
        self.agent.take()
        self.then = {'a': past('a', 'Cube', 1), 'b': past('b', 'Lamp', 2), 'gone': past('gone', 'Old', 7, parent='a'),
                     'r': past('r', 'Rig', type='ARMATURE', pose={'spine': xf(1)})}

    def test_B5_a_whole_scene_restore_is_one_edit(self):
        res = R.restore(self.s, self.w, self.then)
        self.assertEqual(len(self.agent.lines), 1, 'one line: one transaction, one log entry')
        ops = self.agent.take()
        kinds = sorted((o['op'], o['id']) for o in ops)
        self.assertIn(('xform', 'a'), kinds)
        self.assertIn(('upsert', 'gone'), kinds)
        self.assertIn(('pose', 'r'), kinds)
        self.assertIn(('delete', 'new'), kinds)
        self.assertNotIn(('xform', 'b'), kinds, 'what already matches is not sent')
        self.assertEqual(res.recreated, ['gone'])
        self.assertEqual(res.deleted, ['new'])
        self.assertEqual(self.w.objs['a']['xform'], xf(1))
        self.assertEqual(self.w.objs['gone']['parent'], 'a', 'brought back with its id, under its parent')
        self.assertNotIn('new', self.w.objs)
        self.assertEqual(self.w.objs['r']['bones']['spine'], xf(1))

    def test_B5_restoring_chosen_objects_leaves_the_rest_and_never_deletes(self):
        res = R.restore(self.s, self.w, self.then, ids=['a', 'new'])
        ops = self.agent.take()
        self.assertEqual([(o['op'], o['id']) for o in ops], [('xform', 'a')])
        self.assertEqual(res.absent, ['new'])
        self.assertIn('new', self.w.objs)
        self.assertNotIn('gone', self.w.objs)

    def test_B5_a_deleted_object_comes_back_with_its_id(self):
        R.restore(self.s, self.w, self.then, ids=['gone'])
        ops = self.agent.take()
        self.assertEqual(ops[0]['op'], 'upsert')
        self.assertEqual(ops[0]['id'], 'gone')
        self.assertEqual(ops[0]['name'], 'Old')
        # The depsgraph update the restore causes sends nothing more.
        self.s.local_changed(self.w, ['gone', 'a'])
        self.clock.tick(1)
        self.s.pump(self.w)
        self.assertEqual(self.agent.take(), [])

    def test_a_restore_to_the_moment_shown_now_sends_nothing(self):
        now = {'a': past('a', 'Cube', 5), 'b': past('b', 'Lamp', 2), 'new': past('new', 'Later'),
               'r': past('r', 'Rig', type='ARMATURE', pose={'spine': xf(9)})}
        res = R.restore(self.s, self.w, now)
        self.assertEqual(self.agent.take(), [])
        self.assertEqual(res.summary(lambda ids: ids), 'nothing differed from that moment')

    def test_restore_needs_a_synced_session(self):
        self.s.capturing = False
        with self.assertRaises(RuntimeError):
            R.restore(self.s, self.w, self.then)


class RestoreContentTest(unittest.TestCase):
    def test_D1_an_object_brought_back_shows_the_data_block_it_showed_then(self):
        import os
        import tempfile
        from content_fakes import FakeContent, mesh_bytes
        from fakes import Clock, FakeAgent
        from core.session import Session
        s = Session(clock=Clock(), log=lambda m: None)
        w = FakeWorld()
        c = FakeContent(w)
        # The deleted object's mesh is still in the file (no users; gone on save and reopen).
        c.add_data('m1', 'MESH', 'Suzanne', {}, mesh_bytes())
        s.content.world = c
        s.content.outbox = os.path.join(tempfile.mkdtemp(prefix='scenesync-restore-'), 'outbox')
        agent = FakeAgent()
        s.connect(agent, ('ws://test', 'room'))
        agent.push({'type': 'status', 'status': 'synced'})
        agent.push({'type': 'scene', 'objects': [], 'data': [{'id': 'm1', 'kind': 'MESH', 'name': 'Suzanne', 'settings': {}}],
                    'collections': [], 'settings': {'camera': None}})
        s.pump(w)
        agent.take()
        gone = PastObject('gone', 'Monkey', 'MESH', None, True, xf(3), {}, data='m1')
        res = R.restore(s, w, {'gone': gone})
        self.assertEqual(res.recreated, ['gone'])
        ops = agent.ops()
        link = [o for o in ops if o['op'] == 'link' and o['id'] == 'gone']
        self.assertEqual([o.get('data') for o in link], ['m1'], f'the link names the mesh it showed: {ops}')
        self.assertEqual(c.links['gone'][0], 'm1')


if __name__ == '__main__':
    unittest.main()
