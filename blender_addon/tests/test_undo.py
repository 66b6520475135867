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
