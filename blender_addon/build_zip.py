"""Builds the installable add-on: dist/scenesync-addon.zip holding scenesync/.

One zip for both ways Blender installs add-ons: Blender 4.2 and later read
scenesync/blender_manifest.toml and install it as an extension (Get Extensions >
Install from Disk); Blender 3.4 to 4.1 read bl_info and install it as a legacy
add-on (Add-ons > Install...). Both accept the package as the zip's one top
folder. The zip also carries the agent bundled into one JavaScript file
(scenesync/agent/scenesync-agent.mjs, made by scripts/bundle-agent.mjs with
esbuild), so an artist needs Node.js and no checkout.

Run from anywhere: `python3 blender_addon/build_zip.py [--out PATH] [--agent FILE]`
(`npm run addon:zip`).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PACKAGE = os.path.join(HERE, 'scenesync')
DEFAULT_OUT = os.path.join(ROOT, 'dist', 'scenesync-addon.zip')
AGENT_ARC = 'scenesync/agent/scenesync-agent.mjs'
SHIPPED = ('.py', 'blender_manifest.toml')


def files():
    for root, dirs, names in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in ('__pycache__', 'agent'))
        for n in sorted(names):
            if n.endswith(SHIPPED):
                yield os.path.join(root, n)


def bundle_agent(out: str) -> None:
    """Runs esbuild through scripts/bundle-agent.mjs (needs the checkout's node_modules)."""
    node = os.environ.get('NODE', 'node')
    r = subprocess.run([node, os.path.join(ROOT, 'scripts', 'bundle-agent.mjs'), '--out', out], cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f'bundling the agent failed (exit {r.returncode}): run `npm ci` in {ROOT} first')


def _add(z: zipfile.ZipFile, arc: str, data: bytes) -> None:
    # A fixed timestamp: the same sources give the same zip.
    info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data)


def build(out: str, agent: str) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + '.tmp'
    count = 0
    with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as z:
        for path in files():
            with open(path, 'rb') as f:
                _add(z, os.path.relpath(path, HERE).replace(os.sep, '/'), f.read())
            count += 1
        with open(agent, 'rb') as f:
            _add(z, AGENT_ARC, f.read())
        count += 1
    os.replace(tmp, out)
    return count


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=DEFAULT_OUT, help='where to write the zip (default: dist/scenesync-addon.zip)')
    ap.add_argument('--agent', help='an agent bundle already built (default: bundle it now with esbuild)')
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        agent = args.agent
        if not agent:
            agent = os.path.join(tmp, 'scenesync-agent.mjs')
            bundle_agent(agent)
        n = build(args.out, agent)
    print(f'wrote {args.out} ({n} files)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
