"""Finding the Node.js that runs the agent the add-on carries.

The zip holds the agent as one JavaScript file (agent/scenesync-agent.mjs), so
the only thing an artist installs besides Blender is Node.js 20 or later.
Blender started from the Dock or the Start menu does not see the shell's PATH,
so besides PATH the usual install locations are tried. Whatever goes wrong
becomes one message saying what to install or set.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys

MIN_MAJOR = 20
INSTALL = 'Install Node.js 20 or later (the LTS from https://nodejs.org)'
PREF = 'or set Node.js executable in the add-on preferences (Edit > Preferences > Add-ons > scenesync)'
AGENT_FILE = os.path.join('agent', 'scenesync-agent.mjs')


class NodeError(Exception):
    """No usable Node.js; the message says what to install or set."""


def common_locations(platform: str = sys.platform, env=None, home: str | None = None) -> list:
    """Where installers put node when PATH does not say (newest version managers first)."""
    env = os.environ if env is None else env
    home = home or os.path.expanduser('~')
    if platform == 'win32':
        roots = [env.get('ProgramFiles', r'C:\Program Files'), env.get('ProgramFiles(x86)', r'C:\Program Files (x86)'),
                 os.path.join(env.get('LOCALAPPDATA', os.path.join(home, 'AppData', 'Local')), 'Programs')]
        found = [os.path.join(r, 'nodejs', 'node.exe') for r in roots]
        found += sorted(glob.glob(os.path.join(env.get('NVM_HOME', os.path.join(env.get('APPDATA', ''), 'nvm')), 'v*', 'node.exe')), reverse=True)
        return found + [os.path.join(home, 'scoop', 'apps', 'nodejs-lts', 'current', 'node.exe'), os.path.join(home, 'scoop', 'apps', 'nodejs', 'current', 'node.exe')]
    found = ['/opt/homebrew/bin/node', '/usr/local/bin/node', '/usr/bin/node', os.path.join(home, '.volta', 'bin', 'node')]
    found += sorted(glob.glob(os.path.join(home, '.nvm', 'versions', 'node', 'v*', 'bin', 'node')), reverse=True)
    found += sorted(glob.glob(os.path.join(home, '.local', 'share', 'fnm', 'node-versions', 'v*', 'installation', 'bin', 'node')), reverse=True)
    return found


def find_node(preference: str = '', env=None, platform: str = sys.platform, home: str | None = None, locations=None) -> str:
    """The node to run: the preference when set, else PATH, else a common location."""
    env = os.environ if env is None else env
    if preference.strip():
        p = os.path.expanduser(preference.strip())
        found = shutil.which(p, path=env.get('PATH', '')) if not os.path.dirname(p) else (p if os.path.isfile(p) else None)
        if not found:
            raise NodeError(f'Node.js executable {preference.strip()!r} was not found. {INSTALL}, {PREF} with its full path.')
        return found
    on_path = shutil.which('node', path=env.get('PATH', ''))
    if on_path:
        return on_path
    tried = common_locations(platform, env, home) if locations is None else list(locations)
    for p in tried:
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise NodeError(f'Node.js was not found (looked on PATH and in {", ".join(tried[:4])}, ...). '
                    f'scenesync needs it to run its agent. {INSTALL}, then connect again; {PREF}.')


def parse_version(text: str):
    m = re.match(r'^v?(\d+)\.(\d+)\.(\d+)', text.strip())
    return tuple(int(g) for g in m.groups()) if m else None


def check_version(node: str, timeout: float = 10.0) -> tuple:
    """Runs `node --version`; refuses anything older than MIN_MAJOR with what to do."""
    try:
        r = subprocess.run([node, '--version'], capture_output=True, text=True, timeout=timeout,
                           creationflags=getattr(subprocess, 'CREATE_NO_WINDOW', 0))
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NodeError(f'Node.js at {node} does not run ({e}). {INSTALL}, {PREF}.') from None
    v = parse_version(r.stdout)
    if r.returncode != 0 or v is None:
        said = (r.stderr or r.stdout).strip().splitlines()[:1]
        raise NodeError(f'{node} is not a working Node.js (node --version said {said[0] if said else "nothing"!r}). {INSTALL}, {PREF}.')
    if v[0] < MIN_MAJOR:
        raise NodeError(f'Node.js {".".join(map(str, v))} at {node} is too old: scenesync needs Node.js {MIN_MAJOR} or later. '
                        f'{INSTALL}, {PREF}.')
    return v


def bundled_agent(package_dir: str) -> str:
    """The agent file inside the installed add-on; a source checkout has none until built."""
    p = os.path.join(package_dir, AGENT_FILE)
    if not os.path.isfile(p):
        raise NodeError('This copy of the add-on has no agent inside (it was loaded from a source folder, not from the zip): '
                        'install the zip that `npm run addon:zip` builds, or set Agent command in the add-on preferences.')
    return p


def agent_command(preference: str, package_dir: str, env=None) -> list:
    """argv for the bundled agent: [node, .../agent/scenesync-agent.mjs]."""
    agent = bundled_agent(package_dir)
    node = find_node(preference, env)
    check_version(node)
    return [node, agent]
