"""A remote value for something we just sent may predate our op in the agent:
it is put aside and settled by a scene reply."""
import unittest

from fakes import FakeWorld, connected, obj_msg, xf


class InFlightTest(unittest.TestCase):
    def setUp(self):
        w = FakeWorld()
        w.add('a', 'Cube')
        self.s, self.agent, self.w, self.clock = connected(w, [obj_msg('a', 'Cube')])
        self.agent.take()
        self.clock.tick(1)  # past the request throttle of the connect-time request

    def test_B1_a_remote_value_older_than_our_send_does_not_overwrite_it(self):
        self.w.objs['a']['xform'] = xf(1)
        self.s.local_changed(self.w, ['a'])
        self.agent.take()
        self.agent.push(obj_msg('a', 'Cube', xform=xf(7)))
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['a']['xform'], xf(1))
        self.assertEqual(self.agent.take(), [{'op': 'scene'}], 'asks the agent to settle it')
        # The agent applied our op after the remote one: its doc holds ours.
        self.agent.push({'type': 'scene', 'objects': [obj_msg('a', 'Cube', xform=xf(1), full=True)]})
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['a']['xform'], xf(1))
        self.assertEqual(self.s.fl.uncertain, set())

    def test_the_doc_wins_when_the_settling_reply_says_so(self):
        self.w.objs['a']['xform'] = xf(1)
        self.s.local_changed(self.w, ['a'])
        self.agent.take()
        self.agent.push(obj_msg('a', 'Cube', xform=xf(7)))
        self.s.pump(self.w)
        self.agent.push({'type': 'scene', 'objects': [obj_msg('a', 'Cube', xform=xf(7), full=True)]})
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['a']['xform'], xf(7))
        self.s.local_changed(self.w, ['a'])
        self.assertEqual([o for o in self.agent.take() if o['op'] != 'scene'], [])

    def test_a_scene_sent_on_sync_does_not_settle_anything(self):
        self.w.objs['a']['xform'] = xf(1)
        self.s.local_changed(self.w, ['a'])
        self.agent.push(obj_msg('a', 'Cube', xform=xf(7)))
        self.s.pump(self.w)
        verified = self.s.fl.verified
        self.agent.push({'type': 'status', 'status': 'synced'})
        self.agent.push({'type': 'scene', 'objects': [obj_msg('a', 'Cube', xform=xf(7), full=True)]})
        self.s.pump(self.w)
        self.assertEqual(self.s.fl.verified, verified)
        self.assertEqual(self.w.objs['a']['xform'], xf(1))
        self.assertEqual(len(self.s.fl.requests), 1, 'the request is still open')

    def test_scene_requests_are_throttled(self):
        self.w.objs['a']['xform'] = xf(1)
        self.s.local_changed(self.w, ['a'])
        self.agent.take()
        for i in range(5):
            self.clock.tick(0.02)
            self.w.objs['a']['xform'] = xf(10 + i)
            self.s.local_changed(self.w, ['a'])
            self.agent.push(obj_msg('a', 'Cube', xform=xf(20 + i)))
            self.s.pump(self.w)
        self.assertLessEqual(sum(1 for o in self.agent.take() if o['op'] == 'scene'), 2)

    def test_remote_values_for_keys_not_in_flight_apply_directly(self):
        self.agent.push(obj_msg('a', 'Cube', xform=xf(4)))
        self.s.pump(self.w)
        self.assertEqual(self.w.objs['a']['xform'], xf(4))
        self.assertEqual(self.agent.take(), [])


if __name__ == '__main__':
    unittest.main()
