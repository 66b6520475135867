"""Builds the installable add-on: dist/scenesync-addon.zip holding scenesync/.

Blender's "Install..." button takes a zip whose top folder is the add-on
package. Run from anywhere: `python3 blender_addon/build_zip.py [--out PATH]`
(`npm run addon:zip`).
"""
import argparse
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, 'scenesync')
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), 'dist', 'scenesync-addon.zip')


def files():
    for root, dirs, names in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for n in sorted(names):
            if n.endswith('.py'):
                yield os.path.join(root, n)


def build(out: str) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + '.tmp'
    count = 0
    with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as z:
        for path in files():
            arc = os.path.relpath(path, HERE).replace(os.sep, '/')
            # A fixed timestamp: the same sources give the same zip.
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, 'rb') as f:
                z.writestr(info, f.read())
            count += 1
    os.replace(tmp, out)
    return count


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=DEFAULT_OUT, help='where to write the zip (default: dist/scenesync-addon.zip)')
    args = ap.parse_args(argv)
    n = build(args.out)
    print(f'wrote {args.out} ({n} files)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
