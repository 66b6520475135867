"""Transforms per channel: what is sent, what is applied, and edits made while disconnected."""
import unittest

from fakes import FakeAgent, FakeWorld, connected, obj_msg, xf
from core import shadow
from core import xform as X
from core.session import Session


class ChannelTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        w.add('a', 'Cube')
        w.add('rig', 'Rig', type='ARMATURE', bones={'spine': xf()})
        self.s, self.agent, self.w, self.clock = connected(
            w, [obj_msg('a', 'Cube'), obj_msg('rig', 'Rig', type='ARMATURE', pose={'spine': xf()})])
        self.agent.take()

    def test_B1_an_edit_sends_only_the_channels_the_person_changed(self):
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))
        self.s.local_changed(self.w, ['a'])
        self.assertEqual([o.get('channels') for o in self.agent.take()], [['scale']])
        self.clock.tick()
        self.w.objs['a']['xform'] = xf(1, scale=(2, 2, 2), rot=(0.5, 0, 0))
        self.s.local_changed(self.w, ['a'])
        self.assertEqual([o.get('channels') for o in self.agent.take()], [['location', 'rotation']])

    def test_B1_a_remote_move_that_arrives_while_my_scale_is_held_moves_it_and_my_scale_still_goes_out(self):
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))
        self.s.local_changed(self.w, ['a'])
        self.agent.take()
        self.clock.tick(0.005)
        self.w.objs['a']['xform'] = xf(scale=(3, 3, 3))   # held by the coalescer
        self.s.local_changed(self.w, ['a'])
        self.assertEqual(self.agent.take(), [])
        self.agent.push(obj_msg('a', 'Cube', xform=xf(4)))
        self.s.fl.verified = self.s.fl.line  # the agent has read all our lines
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['a']['xform'], xf(4, scale=(3, 3, 3)))
        ops = self.agent.take()
        self.assertEqual([(o['op'], o.get('channels'), o['xform']['scale']) for o in ops], [('xform', ['scale'], [3.0, 3.0, 3.0])])

    def test_bones_merge_per_channel_too(self):
        self.w.objs['rig']['bones']['spine'] = xf(scale=(1, 1, 2))
        self.s.local_changed(self.w, poses=['rig'])
        self.assertEqual([o.get('channels') for o in self.agent.take()], [{'spine': ['scale']}])
        self.clock.tick(0.005)
        self.w.objs['rig']['bones']['spine'] = xf(scale=(1, 1, 3))   # held
        self.s.local_changed(self.w, poses=['rig'])
        self.assertEqual(self.agent.take(), [])
        # The doc holds my sent scale and someone's new location.
        self.agent.push(obj_msg('rig', 'Rig', type='ARMATURE', pose={'spine': xf(0, 1, scale=(1, 1, 2))}))
        self.s.fl.verified = self.s.fl.line
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['rig']['bones']['spine'], xf(0, 1, scale=(1, 1, 3)))
        self.assertEqual([(o['op'], o.get('channels')) for o in self.agent.take()], [('pose', {'spine': ['scale']})])


class OfflineEditTest(unittest.TestCase):
    """Edits made while disconnected go out on reconnect with the time they were made."""

    def setUp(self):
        w = FakeWorld()
        w.add('a', 'Cube')
        self.s, self.agent, self.w, self.clock = connected(w, [obj_msg('a', 'Cube')])
        self.wall = [1_000.0]
        self.s.wall = lambda: self.wall[0]
        self.s.disconnect()

    def reconnect(self, *objs):
        self.agent = FakeAgent()
        self.s.connect(self.agent, ('ws://test', 'room'))
        self.agent.push({'type': 'status', 'status': 'synced'})
        self.agent.push({'type': 'scene', 'objects': [dict(o, full=True) for o in objs]})
        self.s.pump(self.w)
        return [o for o in self.agent.take() if o['op'] != 'scene']

    def test_B3_each_channel_goes_out_with_the_time_it_was_edited(self):
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))
        self.s.note_offline(self.w, ['a'])
        self.wall[0] = 1_005.0
        self.w.objs['a']['xform'] = xf(3, scale=(2, 2, 2))
        self.s.note_offline(self.w, ['a'])
        ops = self.reconnect(obj_msg('a', 'Cube'))
        self.assertEqual(sorted((o['channels'][0], o['at']) for o in ops), [('location', 1_005_000.0), ('scale', 1_000_000.0)])
        self.assertEqual(self.s.edited, {}, 'sent edits are forgotten')

    def test_B3_a_channel_someone_else_changed_meanwhile_is_applied_and_mine_still_sent(self):
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))
        self.s.note_offline(self.w, ['a'])
        ops = self.reconnect(obj_msg('a', 'Cube', xform=xf(7)))
        self.assertEqual(self.w.objs['a']['xform'], xf(7, scale=(2, 2, 2)))
        self.assertEqual([(o['op'], o['channels']) for o in ops], [('xform', ['scale'])])

    def test_B3_edit_times_survive_saving_the_file(self):
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))
        self.s.note_offline(self.w, ['a'])
        rows = self.s.dump_edited()
        s2 = Session(log=lambda m: None)
        s2.reset_base(shadow.load_all(shadow.dump_all(self.s.base)), ('ws://test', 'room'), Session.load_edited(rows))
        self.assertEqual(s2.edited, {('a', 'xform', 'scale'): 1_000_000.0})

    def test_B3_loading_a_file_is_not_an_edit_and_keeps_the_times_the_file_saved(self):
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))   # an unsynced edit the file holds
        self.s.reset_base(dict(self.s.base), ('ws://test', 'room'), {('a', 'xform', 'scale'): 42_000.0})
        self.s.seed_seen(self.w)
        self.wall[0] = 9_999.0
        self.s.note_offline(self.w, ['a'])   # the loaded file's first evaluation
        self.assertEqual(self.s.edited, {('a', 'xform', 'scale'): 42_000.0})
        self.w.objs['a']['xform'] = xf(1, scale=(2, 2, 2))
        self.s.note_offline(self.w, ['a'])   # a real edit after loading
        self.assertEqual(self.s.edited[('a', 'xform', 'location')], 9_999_000.0)

    def test_an_edit_nobody_saw_gets_the_time_the_file_was_written(self):
        self.s.unrecorded_at = 500_000.0
        self.w.objs['a']['xform'] = xf(scale=(2, 2, 2))   # made in a Blender without the add-on
        ops = self.reconnect(obj_msg('a', 'Cube'))
        self.assertEqual([o['at'] for o in ops], [500_000.0])

    def test_live_edits_carry_no_time(self):
        self.reconnect(obj_msg('a', 'Cube'))
        self.w.objs['a']['xform'] = xf(1)
        self.s.local_changed(self.w, ['a'])
        self.assertNotIn('at', self.agent.take()[0])

    def test_xform_channel_helpers(self):
        a, b = xf(1, scale=(2, 2, 2)), xf(1, rot=(0.5, 0, 0), mode='ZXY')
        self.assertEqual(X.changed(a, b), ['rotation', 'scale'])
        self.assertEqual(X.with_channels(a, b, ['rotation']), xf(1, rot=(0.5, 0, 0), mode='ZXY', scale=(2, 2, 2)))
        self.assertEqual(X.changed(None, a), list(X.CHANNELS))


if __name__ == '__main__':
    unittest.main()
