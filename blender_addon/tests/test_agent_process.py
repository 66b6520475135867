"""The agent child process: lines out, queued messages in, a clear error on exit."""
import sys
import textwrap
import time
import unittest

import fakes  # noqa: F401
from core import agent_process as AP
from core import protocol as P

ECHO_AGENT = textwrap.dedent('''
    import json, sys
    print('starting', file=sys.stderr, flush=True)
    print(json.dumps({"type": "status", "status": "connecting"}), flush=True)
    print("a stray line", flush=True)
    for line in sys.stdin:
        op = json.loads(line)
        if op.get("op") == "die":
            print("fatal: bad thing", file=sys.stderr, flush=True)
            sys.exit(3)
        print(json.dumps({"type": "error", "message": "got " + op["op"]}), flush=True)
''')


def wait_for(agent, n, timeout=10.0):
    out, end = [], time.time() + timeout
    while len(out) < n and time.time() < end:
        m = agent.wait_message(0.1)
        if m is not None:
            out.append(m)
    return out


class AgentProcessTest(unittest.TestCase):
    def test_messages_are_queued_by_the_reader_thread(self):
        a = AP.AgentProcess([sys.executable, '-c', ECHO_AGENT])
        try:
            self.assertEqual(wait_for(a, 1)[0], {'type': 'status', 'status': 'connecting'})
            a.send(P.encode({'op': 'scene'}))
            self.assertEqual(wait_for(a, 1)[0]['message'], 'got scene')
            self.assertEqual((a.lines_out, a.lines_in), (1, 3))
        finally:
            a.stop()
        self.assertFalse(a.alive)
        self.assertIsNone(a.wait_message(0.3), 'a requested stop is not reported as an exit')

    def test_an_exit_is_reported_with_the_end_of_stderr(self):
        a = AP.AgentProcess([sys.executable, '-c', ECHO_AGENT])
        a.send(P.encode({'op': 'die'}))
        msgs = wait_for(a, 2)
        self.assertEqual(msgs[-1]['type'], '_exit')
        self.assertEqual(msgs[-1]['code'], 3)
        self.assertIn('fatal: bad thing', msgs[-1]['message'])

    def test_the_command_is_split_like_a_shell_and_gets_the_connection_flags(self):
        argv = AP.agent_argv('node "/opt/my dir/main.js" agent', 'ws://h:1', 'r', 'Ann')
        self.assertEqual(argv[1:], ['/opt/my dir/main.js', 'agent', '--url', 'ws://h:1', '--room', 'r', '--name', 'Ann'])

    def test_a_missing_command_says_to_set_the_agent_command_in_the_preferences(self):
        with self.assertRaises(AP.StartError) as e:
            AP.start('/nonexistent/scenesync agent', 'ws://h:1', 'r', 'n')
        self.assertIn("'/nonexistent/scenesync' was not found", str(e.exception))
        self.assertIn('Set the Agent command in the add-on preferences', str(e.exception))
        # No command: the agent inside the add-on, which a source folder does not have.
        with self.assertRaises(AP.StartError) as e:
            AP.start('  ', 'ws://h:1', 'r', 'n', package_dir='/nonexistent')
        self.assertIn('has no agent inside', str(e.exception))

    def test_an_agent_that_cannot_find_its_script_says_what_to_set(self):
        msg = AP.exit_message(['node', 'x.js'], 1, ["Error: Cannot find module '/x.js'", '    at Module._resolveFilename'])
        self.assertIn("Cannot find module '/x.js'", msg.replace('    at Module._resolveFilename', ''))
        self.assertIn('Set the Agent command in the add-on preferences', msg)
        self.assertIn('exit code 3', AP.exit_message(['a'], 3, ['fatal']))

    def test_the_file_id_goes_to_the_agent(self):
        self.assertEqual(AP.agent_argv('scenesync agent', 'ws://h:1', 'r', '', 'f-1')[-2:], ['--file-id', 'f-1'])


if __name__ == '__main__':
    unittest.main()
