"""Finding Node.js for the bundled agent, and the one message when it is missing or too old.

Each "node" here is a real executable script printing what a real node prints.
"""
import os
import stat
import sys
import tempfile
import unittest

import fakes  # noqa: F401
from core import agent_process as AP
from core import node_runtime as N


def fake_node(folder, version='v20.11.1', name='node'):
    os.makedirs(folder, exist_ok=True)
    p = os.path.join(folder, name)
    with open(p, 'w') as f:
        f.write(f'#!/bin/sh\necho {version}\n')
    os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR)
    return p


@unittest.skipIf(os.name == 'nt', 'POSIX shell scripts stand in for node')
class NodeRuntimeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.home = os.path.join(self.dir, 'home')
        os.makedirs(self.home)

    def tearDown(self):
        self.tmp.cleanup()

    def test_node_is_found_on_path_first(self):
        node = fake_node(os.path.join(self.dir, 'bin'))
        self.assertEqual(N.find_node('', {'PATH': os.path.dirname(node)}, 'linux', self.home), node)
        self.assertEqual(N.check_version(node), (20, 11, 1))

    def test_without_path_the_usual_install_locations_are_tried(self):
        nvm = fake_node(os.path.join(self.home, '.nvm', 'versions', 'node', 'v22.1.0', 'bin'), 'v22.1.0')
        self.assertIn('/opt/homebrew/bin/node', N.common_locations('darwin', {}, self.home))
        found = N.find_node('', {'PATH': os.path.join(self.dir, 'empty')}, 'darwin', self.home)
        self.assertIn(found, ('/opt/homebrew/bin/node', '/usr/local/bin/node', '/usr/bin/node', nvm))
        win = N.common_locations('win32', {'ProgramFiles': r'C:\Program Files'}, self.home)
        self.assertIn(os.path.join(r'C:\Program Files', 'nodejs', 'node.exe'), win)

    def test_the_preference_wins_and_a_wrong_one_is_named(self):
        mine = fake_node(os.path.join(self.dir, 'mine'), 'v21.0.0')
        fake_node(os.path.join(self.dir, 'bin'))
        self.assertEqual(N.find_node(mine, {'PATH': os.path.join(self.dir, 'bin')}), mine)
        with self.assertRaises(N.NodeError) as e:
            N.find_node('/nowhere/node', {'PATH': ''})
        self.assertIn("Node.js executable '/nowhere/node' was not found", str(e.exception))

    def test_missing_node_is_one_message_saying_what_to_install(self):
        # This machine may have a node in /usr/bin: the locations tried are the test's.
        nowhere = [os.path.join(self.dir, 'opt', 'node'), os.path.join(self.home, '.volta', 'bin', 'node')]
        with self.assertRaises(N.NodeError) as e:
            N.find_node('', {'PATH': os.path.join(self.dir, 'empty')}, 'linux', self.home, locations=nowhere)
        self.assertIn(nowhere[0], str(e.exception))
        self.assertRegex(str(e.exception), r'^Node\.js was not found .*Install Node\.js 20 or later \(the LTS from https://nodejs\.org\)')

    def test_an_old_node_is_refused_with_its_version_and_what_to_install(self):
        old = fake_node(os.path.join(self.dir, 'old'), 'v18.19.0')
        with self.assertRaises(N.NodeError) as e:
            N.check_version(old)
        self.assertEqual(str(e.exception).split('.')[0:3], ['Node', 'js 18', '19'])
        self.assertIn('is too old: scenesync needs Node.js 20 or later. Install Node.js 20 or later', str(e.exception))
        broken = fake_node(os.path.join(self.dir, 'broken'), 'hello')
        with self.assertRaises(N.NodeError) as e:
            N.check_version(broken)
        self.assertIn('is not a working Node.js', str(e.exception))

    def test_start_runs_the_bundled_agent_with_that_node_and_reports_an_old_one(self):
        pkg = os.path.join(self.dir, 'scenesync')
        os.makedirs(os.path.join(pkg, 'agent'))
        open(os.path.join(pkg, N.AGENT_FILE), 'w').close()
        old = fake_node(os.path.join(self.dir, 'old'), 'v16.20.2')
        with self.assertRaises(AP.StartError) as e:
            AP.start('', 'ws://h:1', 'r', 'n', node=old, package_dir=pkg)
        self.assertIn('Node.js 16.20.2 at', str(e.exception))
        # A Python stand-in for node: it echoes its argv, which must be the bundle and the flags.
        py = os.path.join(self.dir, 'py', 'node')
        os.makedirs(os.path.dirname(py))
        with open(py, 'w') as f:
            f.write(f'#!{sys.executable}\nimport json, sys\n'
                    'if sys.argv[1:] == ["--version"]: print("v20.0.0"); sys.exit(0)\n'
                    'print(json.dumps({"type": "error", "message": json.dumps(sys.argv[1:])}), flush=True)\n'
                    'sys.stdin.read()\n')
        os.chmod(py, 0o755)
        a = AP.start('', 'ws://h:1', 'r', 'Ann', node=py, package_dir=pkg)
        try:
            m = a.wait_message(10)
        finally:
            a.stop()
        import json
        self.assertEqual(json.loads(m['message']), [os.path.join(pkg, N.AGENT_FILE), '--url', 'ws://h:1', '--room', 'r', '--name', 'Ann'])


if __name__ == '__main__':
    unittest.main()
