#!/usr/bin/env python3
"""The man page against the command: npy-watermark.1 documents exactly the
options `npy-watermark --help` lists, with the same short names and
argument names, and renders without groff warnings.

    check-manpage.py NPY-WATERMARK MANPAGE

TAP output.  Each difference is named with the option and what to do
about it, e.g. the .TP entry to add, copied from --help.
"""

import os
import re
import shutil
import subprocess
import sys

# Options the man page documents before the command has them (an issue
# adding them is under way).  While --help lacks one, its case is skipped
# with the reason; once --help lists it, it is checked as any other (so a
# spelling that differs from the command's then fails), and its entry
# here can go.
AHEAD = {
    # '--option': 'issue N (what it is)',
}

# "  -c, --config=FILE      Settings file ..." in --help's option sections
HELP_LINE = re.compile(r'^  (?P<spec>(?:-[A-Za-z?], )?--[a-z0-9-]+(?:=\S+)?)'
                       r'(?:\s{2,}(?P<text>.*))?$')


def long_name(spec):
    """'-c, --config=FILE' -> '--config'."""
    return re.search(r'--[a-z0-9-]+', spec).group(0)


def help_options(exe):
    """{long name: (spec, description)} from --help's option sections
    (Help Options, Application Options; GStreamer's are in --help-gst)."""
    env = dict(os.environ, LC_ALL='C.UTF-8', COLUMNS='200')
    out = subprocess.run([exe, '--help'], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit('Bail out! %s --help: exit status %d: %s'
                         % (exe, out.returncode, out.stderr.strip()))
    options = {}
    in_options = False
    for line in out.stdout.splitlines():
        if line.endswith('Options:') and not line.startswith(' '):
            in_options = True
            continue
        if not line.strip():
            continue
        if not line.startswith(' '):
            in_options = False
            continue
        m = HELP_LINE.match(line) if in_options else None
        if m:
            options[long_name(m['spec'])] = (m['spec'], m['text'] or '')
    return options


def plain(roff):
    """A roff line as text: fonts dropped, \\- as -."""
    text = re.sub(r'\\f[BIRP]', '', roff)
    return text.replace('\\-', '-').replace('\\&', '').strip()


def man_options(path):
    """{long name: (spec, line number)}: the line after each .TP of the
    OPTIONS section."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    options = {}
    section = None
    for i, line in enumerate(lines):
        if line.startswith('.SH '):
            section = line[4:].strip().strip('"')
        elif section == 'OPTIONS' and line.startswith('.TP') \
                and i + 1 < len(lines):
            spec = plain(lines[i + 1])
            if not re.match(r'^(-[A-Za-z?], )?--[a-z0-9-]+(=\S+)?$', spec):
                raise SystemExit('Bail out! %s:%d: after .TP an option '
                                 'line such as \\fB\\-\\-name\\fR=\\fIARG\\fR,'
                                 ' got "%s"' % (path, i + 2, lines[i + 1]))
            options[long_name(spec)] = (spec, i + 2)
    return options


def roff_entry(spec, text):
    """The .TP entry a man page needs for --help's @spec."""
    parts = []
    for part in spec.split(', '):
        name, _, arg = part.partition('=')
        entry = '\\fB%s\\fR' % name.replace('-', '\\-')
        if arg:
            entry += '=\\fI%s\\fR' % arg.replace('-', '\\-')
        parts.append(entry)
    return '.TP\n%s\n%s' % (', '.join(parts), text or '<what it does>')


def main():
    exe, manpage = sys.argv[1], sys.argv[2]
    name = os.path.relpath(manpage, os.environ.get('MESON_SOURCE_ROOT', '.'))
    have = help_options(exe)
    documented = man_options(manpage)
    if '--help' not in have or '--config' not in have:
        raise SystemExit('Bail out! could not read the options of %s --help'
                         % exe)

    cases = []
    for opt in sorted(set(have) | set(documented)):
        if opt in have and opt not in documented:
            spec, text = have[opt]
            cases.append((False, opt,
                          '`npy-watermark --help` lists %s, %s has no entry '
                          'for it: add under OPTIONS\n%s' % (spec, name,
                                                            roff_entry(spec, text))))
        elif opt in documented and opt not in have:
            spec, line = documented[opt]
            if opt in AHEAD:
                cases.append((None, opt, 'documented ahead of %s; '
                              '--help does not list it yet' % AHEAD[opt]))
            else:
                cases.append((False, opt,
                              '%s:%d documents %s, which `npy-watermark '
                              '--help` does not list: remove its .TP entry '
                              '(or fix its spelling)' % (name, line, spec)))
        elif have[opt][0] != documented[opt][0]:
            spec, line = documented[opt]
            cases.append((False, opt,
                          '%s:%d reads "%s", `npy-watermark --help` "%s": '
                          'make the line after .TP say %s'
                          % (name, line, spec, have[opt][0],
                             roff_entry(have[opt][0], '').splitlines()[1])))
        else:
            cases.append((True, opt, ''))

    groff = shutil.which('groff')
    print('1..%d' % (len(cases) + 1))
    failed = 0
    for n, (ok, opt, why) in enumerate(cases, 1):
        if ok is None:
            print('ok %d - %s # SKIP %s' % (n, opt, why))
        elif ok:
            print('ok %d - %s' % (n, opt))
        else:
            failed += 1
            print('not ok %d - %s' % (n, opt))
            for line in why.splitlines():
                print('# ' + line)
    n = len(cases) + 1
    if groff is None:
        print('ok %d - groff renders %s without warnings # SKIP no groff '
              '(Debian: groff-base)' % (n, name))
    else:
        out = subprocess.run([groff, '-man', '-Tutf8', '-ww', '-z', manpage],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=60,
                             env=dict(os.environ, LC_ALL='C.UTF-8'))
        if out.returncode == 0 and not out.stderr.strip():
            print('ok %d - groff renders %s without warnings' % (n, name))
        else:
            failed += 1
            print('not ok %d - groff renders %s without warnings' % (n, name))
            for line in out.stderr.splitlines():
                print('# ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
