"""Regenerate plugins/module_utils/syscall_tables.py from ``ausyscall <arch> --dump``.

Run on a machine with the ``auditd`` package (it ships ausyscall, whose tables are
compiled from audit-userspace's lib/*_table.h):

    python3 scripts/gen_syscall_tables.py > plugins/module_utils/syscall_tables.py
"""
import subprocess
import sys

# Table name in this collection -> argument for ausyscall.
# "ppc" (32-bit PowerPC) uses the same table as ppc64le in audit-userspace.
ARCHES = ["x86_64", "i386", "aarch64", "arm", "ppc64le", "s390x", "s390"]


def dump(arch):
    out = subprocess.run(["ausyscall", arch, "--dump"], check=True,
                         capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines()[1:]:  # first line: "Using <arch> syscall table:"
        number, name = line.split()
        table[name] = int(number)
    return table


def main():
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "auditd"],
                             capture_output=True, text=True, check=False).stdout or "unknown"
    w = sys.stdout.write
    w("# -*- coding: utf-8 -*-\n")
    w("# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)\n")
    w("# SPDX-License-Identifier: GPL-3.0-or-later\n")
    w('"""Syscall name -> number tables per audit machine.\n\n')
    w("GENERATED FILE, do not edit. Source: ``ausyscall <arch> --dump`` from the Debian\n")
    w("package auditd %s (audit-userspace lib/*_table.h). Regenerate with\n" % version)
    w("``python3 scripts/gen_syscall_tables.py > plugins/module_utils/syscall_tables.py``.\n")
    w('"""\n\n')
    w("SYSCALLS = {\n")
    for arch in ARCHES:
        table = dump(arch)
        w("    %r: {\n" % arch)
        for name, number in sorted(table.items(), key=lambda kv: (kv[1], kv[0])):
            w("        %r: %d,\n" % (name, number))
        w("    },\n")
    w("}\n")


if __name__ == "__main__":
    main()
