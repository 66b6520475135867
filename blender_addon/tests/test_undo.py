"""Undo in this Blender: our own edits are undone and sent; others' are kept."""
import unittest

from fakes import FakeWorld, connected, obj_msg, xf
from core.undo import after_undo


class UndoTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        w.add('mine', 'Mine')
        w.add('theirs', 'Theirs')
        self.s, self.agent, self.w, self.clock = connected(w, [obj_msg('mine', 'Mine'), obj_msg('theirs', 'Theirs')])
        self.w.objs['mine']['xform'] = xf(1)
        self.s.local_changed(self.w, ['mine'])
        self.agent.push(obj_msg('theirs', 'Theirs', xform=xf(5)))
        self.agent.push(obj_msg('remote', 'Remote', type='EMPTY', full=True))
        self.s.pump(self.w)
        self.agent.take()

    def test_B2_undo_sends_our_undone_edit_and_keeps_remote_ones(self):
        # The state an undo restores: before our move and before the remote edits.
        self.w.objs['mine']['xform'] = xf(0)
        self.w.objs['theirs']['xform'] = xf(0)
        del self.w.objs['remote']
        after_undo(self.s, self.w)
        ops = self.agent.take()
        self.assertEqual([(o['op'], o['id'], o['xform']['location'][0]) for o in ops], [('xform', 'mine', 0.0)])
        self.assertEqual(self.w.objs['theirs']['xform'], xf(5))
        self.assertIn('remote', self.w.objs, 'an object created by someone else comes back, same id')

    def test_undo_of_our_creation_deletes_it_and_redo_upserts_it(self):
        self.w.add('new', 'New')
        self.s.local_structure(self.w)
        self.agent.take()
        saved = self.w.objs.pop('new')
        after_undo(self.s, self.w)
        self.assertEqual(self.agent.take(), [{'op': 'delete', 'id': 'new'}])
        self.w.objs['new'] = saved
        after_undo(self.s, self.w)
        self.assertEqual([(o['op'], o['id']) for o in self.agent.take()], [('upsert', 'new')])

    def test_an_undo_that_changes_nothing_synced_sends_nothing(self):
        after_undo(self.s, self.w)
        self.assertEqual(self.agent.take(), [])


if __name__ == '__main__':
    unittest.main()


class UndoAcrossConnectTest(unittest.TestCase):
    """An undo step from before the ids were stamped brings objects back without them."""

    def setUp(self):
        w = FakeWorld()
        w.add('crate', 'Crate', xform=xf(1))
        w.add('lamp', 'Lamp', type='LIGHT')
        self.s, self.agent, self.w, self.clock = connected(w, [obj_msg('crate', 'Crate', xform=xf(1)), obj_msg('lamp', 'Lamp', type='LIGHT')])
        self.agent.take()

    def test_B2_objects_take_their_ids_back_and_nothing_is_deleted_or_created(self):
        self.w.objs['crate']['xform'] = xf(3)
        self.s.local_changed(self.w, ['crate'])
        self.agent.take()
        self.w.strip_ids()
        self.w.unid[0]['xform'] = xf(1)   # the state before the move
        after_undo(self.s, self.w)
        self.assertEqual(set(self.w.objs), {'crate', 'lamp'})
        self.assertEqual([(o['op'], o['id'], o.get('channels')) for o in self.agent.take()], [('xform', 'crate', ['location'])])

    def test_B2_a_renamed_object_is_found_by_any_name_it_had(self):
        self.w.objs['crate']['name'] = 'Box'
        self.s.local_changed(self.w, others=['crate'])
        self.agent.take()
        self.w.strip_ids()
        self.w.unid[0]['name'] = 'Crate'   # back before the rename, and before the ids
        after_undo(self.s, self.w)
        self.assertIn('crate', self.w.objs)
        self.assertEqual([(o['op'], o['id']) for o in self.agent.take()], [('rename', 'crate')])

    def test_an_id_the_room_still_holds_is_preferred_to_one_deleted_since(self):
        self.s.names['other'] = {('Crate', 'MESH')}
        self.s.removed['other'] = 'local'
        self.w.strip_ids()
        after_undo(self.s, self.w)
        self.assertEqual(set(self.w.objs), {'crate', 'lamp'})
        self.assertEqual(self.agent.take(), [])

    def test_the_type_tells_apart_two_ids_that_had_the_same_name(self):
        self.s.names['lamp'].add(('Crate', 'MESH'))
        self.s.names['lamp'].add(('Crate', 'LIGHT'))
        self.w.strip_ids()
        self.w.unid[1]['name'] = 'Crate'   # the lamp, as it was called before (a LIGHT named Crate)
        after_undo(self.s, self.w)
        self.assertIn('crate', self.w.objs, 'the Crate is the only MESH that had its name')
        self.assertIn('lamp', self.w.objs)

    def test_an_object_someone_else_deleted_that_undo_brings_back_is_deleted_again_quietly(self):
        self.agent.push({'type': 'delete', 'id': 'lamp'})
        self.s.pump(self.w)
        self.assertNotIn('lamp', self.w.objs)
        self.w.add('lamp', 'Lamp', type='LIGHT')   # the undo restores it, id and all
        after_undo(self.s, self.w)
        self.assertNotIn('lamp', self.w.objs)
        self.assertEqual(self.agent.take(), [])

    def test_the_connect_asks_for_an_undo_step(self):
        self.assertEqual(self.s.undo_push, 'scenesync: joined room')
