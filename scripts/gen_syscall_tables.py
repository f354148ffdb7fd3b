"""Regenerate plugins/module_utils/syscall_tables.py from ``ausyscall <arch> --dump``.

Run on a machine with the ``auditd`` package (scripts/setup.sh installs it; it ships ausyscall,
whose tables are compiled from audit-userspace's lib/*_table.h):

    python3 scripts/gen_syscall_tables.py > plugins/module_utils/syscall_tables.py
    python3 scripts/gen_syscall_tables.py --check

``--check`` fails, naming the differences, when the committed file is not what this machine's
ausyscall generates; without ausyscall it says so and checks nothing.
"""
import argparse
import difflib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join("plugins", "module_utils", "syscall_tables.py")

# Table name in this collection -> argument for ausyscall.
# "ppc" (32-bit PowerPC) uses the same table as ppc64le in audit-userspace.
ARCHES = ["x86_64", "i386", "aarch64", "arm", "ppc64le", "s390x", "s390"]
MAX_DIFF_LINES = 40


def dump(arch):
    out = subprocess.run(["ausyscall", arch, "--dump"], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True).stdout
    table = {}
    for line in out.splitlines()[1:]:  # first line: "Using <arch> syscall table:"
        number, name = line.split()
        table[name] = int(number)
    return table


def auditd_version():
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "auditd"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    return done.stdout or "unknown"


WRAP = 100  # characters of "name number" pairs per source line


def _wrapped(pairs):
    """The table as string literals of whole "name number" pairs, one per source line."""
    lines, line = [], ""
    for pair in pairs:
        if line and len(line) + len(pair) + 1 > WRAP:
            lines.append(line)
            line = ""
        line += pair + " "
    return lines + ([line] if line else [])


def generate():
    # Each table is one string, parsed when the module is imported: AnsiballZ imports from a zip,
    # which caches no bytecode, and compiling ~3,000 dict entries on every module run cost more
    # (8 to 30 ms per run) than splitting the strings (under 1 ms).
    lines = [
        "# -*- coding: utf-8 -*-",
        "# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)",
        "# SPDX-License-Identifier: GPL-3.0-or-later",
        '"""Syscall name -> number tables per audit machine.',
        "",
        "GENERATED FILE, do not edit. Source: ``ausyscall <arch> --dump`` from the Debian",
        "package auditd %s (audit-userspace lib/*_table.h). Regenerate with" % auditd_version(),
        "``python3 scripts/gen_syscall_tables.py > plugins/module_utils/syscall_tables.py``.",
        "",
        "Each table is a string of ``name number`` pairs (strings compile at no cost; see the",
        "generator), parsed into ``SYSCALLS`` on import.",
        '"""',
        "",
        "",
        "def _parse(text):",
        "    words = text.split()",
        "    return dict(zip(words[::2], map(int, words[1::2])))",
        "",
        "",
        "_TABLES = {",
    ]
    for arch in ARCHES:
        pairs = ["%s %d" % (name, number) for name, number in sorted(dump(arch).items(), key=lambda kv: (kv[1], kv[0]))]
        lines.append("    %r: (" % arch)
        lines.extend('        "%s"' % chunk for chunk in _wrapped(pairs))
        lines.append("    ),")
    lines.append("}")
    lines.append("SYSCALLS = dict((arch, _parse(text)) for arch, text in _TABLES.items())")
    return "\n".join(lines) + "\n"


def check(text):
    """0 when the committed file equals ``text``, else 1 after printing the differences."""
    with open(os.path.join(ROOT, TARGET)) as handle:
        committed = handle.read()
    if committed == text:
        print("%s is up to date (ausyscall of auditd %s)" % (TARGET, auditd_version()))
        return 0
    diff = list(difflib.unified_diff(committed.splitlines(), text.splitlines(),
                                     "%s (committed)" % TARGET, "%s (generated)" % TARGET, lineterm=""))
    sys.stderr.write("%s is out of date: it differs from what ausyscall of auditd %s generates "
                     "(%d changed lines):\n" % (TARGET, auditd_version(),
                                                sum(1 for line in diff[2:] if line[:1] in "+-")))
    sys.stderr.write("\n".join(diff[:MAX_DIFF_LINES]) + "\n")
    if len(diff) > MAX_DIFF_LINES:
        sys.stderr.write("... (%d more diff lines)\n" % (len(diff) - MAX_DIFF_LINES))
    sys.stderr.write("Regenerate: python3 scripts/gen_syscall_tables.py > %s\n" % TARGET)
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail, naming the differences, if %s is not what ausyscall generates" % TARGET)
    args = parser.parse_args()
    if shutil.which("ausyscall") is None:
        message = "ausyscall not found (Debian package auditd; scripts/setup.sh installs it)"
        if args.check:
            print("%s --check skipped: %s" % (TARGET, message))
            return 0
        sys.exit(message)
    text = generate()
    if args.check:
        return check(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
