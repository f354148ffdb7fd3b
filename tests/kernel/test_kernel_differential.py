# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential test of the rule engine against the real kernel audit subsystem.

Each corpus line is loaded on its own with ``auditctl -R`` (the way augenrules loads rules
files), then read back with ``auditctl -l``. The engine must accept exactly the lines the
kernel accepts, and find the loaded form equivalent to the written one (keys included).
The kernel's rules are saved first and restored afterwards.
"""
import itertools
import os
import platform
import random

import pytest

from kernel_helpers import KernelGuard, auditctl, loaded_lines

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as P
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError

MACHINE = platform.machine()

# Hand-written lines: STIG/CIS spellings, odd but valid spellings, and lines auditctl rejects.
HAND_WRITTEN = [
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
    "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module,create_module,query_module "
    "-F auid>=1000 -F auid!=unset -k kernel_modules",
    "-w /sbin/insmod -p x -k modules",
    "-w /usr/bin/kmod -p x -k modules",
    "-w /etc/ -p wa -k etc",
    "-w /etc/passwd",
    "-w /etc/shadow -p rwa",
    "-w /usr/bin/kmod -p x -F auid>=1000 -F auid!=unset -k modules",
    "-a exit,always -F auid!=-1 -F arch=b64 -S finit_module -S init_module -F auid>=1000 -F key=module_chng",
    "  -a   always,exit  -F arch=b64 -S 175,313 -F auid>=1000 -F auid!=4294967295 -k module_chng  ",
    "-a always,exit -F arch=x86_64 -S init_module -k a -k b",
    "-A always,exit -F arch=b64 -S openat -F exit=-ENOENT",
    "-a always,exit -F arch=b64 -S open -F exit=-13",
    "-a always,exit -F arch=b64 -S open -C auid!=uid",
    "-a always,exit -F arch=b64 -S open -C uid=euid",
    "-a always,exit -F arch=b64 -S open -C gid!=obj_gid",
    "-a always,exit -F arch=b64 -S open -F a0=16 -F a1!=0x10 -F a2&4 -F a3&=8",
    "-a always,exit -F arch=b64 -S all -F success=0",
    "-a always,exit -F arch=b64 -F auid>=1000",
    "-a always,exit -S init_module",
    "-a never,exit -F arch=b64 -S init_module",
    "-a never,task",
    "-a task,never",
    "-a always,task -F uid=0",
    "-a always,user -F uid=0",
    "-a always,user -F msgtype=USER_LOGIN",
    "-a always,exclude -F msgtype=CWD",
    "-a never,exclude -F auid=5",
    "-a always,filesystem -F fstype=tracefs",
    "-a always,exit -F arch=b64 -S init_module -F dir=/tmp -F filetype=file -F pers=1 -F exe=/usr/bin/kmod",
    "-a always,exit -F arch=b64 -S init_module -F filetype=dir",
    "-a always,exit -F arch=b64 -S open -F uid=root",
    "-a always,exit -F arch=b64 -S open -F loginuid=5",
    "-a always,exit -F arch=b64 -S open -F auid=-1",
    "-a always,exit -F arch=b64 -S open -F auid<=5 -F auid<7 -F auid>3",
    "-a always,exit -F arch=b64 -S open -F subj_type=foo_t -F obj_type=bar_t",
    "-a always,exit -F arch=b64 -S open -F sessionid=3 -F ppid=1 -F pid=2 -F devmajor=1 -F devminor=2 -F inode=5",
    "-a always,exit -F arch=b64 -S open -F saddr_fam=2",
    "-a always,exit -F arch=b64 -S init_module -p x",
    "-a always,exit -F arch=b64 -S init_module -F key=",
    # Rejected by auditctl or the kernel:
    "-a always,exit -S init_module -F arch=b32",
    "-a always,exit -F arch=b64 -S init_module -F arch=b32",
    "-a always,task -F uid=0 -S open",
    "-a always,task -F path=/x",
    "-a always,exclude -F path=/x",
    "-a always,exit -F arch=b64 -S nosuch_syscall",
    "-a always,exit -F nofield=1 -S open",
    "-a always,exit -F arch=b64 -S init_module -F key!=b",
    "-a always,exit -F arch=b64 -S open -F auid>-1",
    "-a always,exit -F arch=b64 -S open -F euid=unset",
    "-a always,exit -F arch=b64 -S open -F uid&=7",
    "-a always,exit -F arch=b64 -S open -F exit&4",
    "-a always,exit -F arch=b64 -S open -F success=yes",
    "-a always,exit -F arch=b64 -S all -F path=/a -F dir=/b",
    "-a always,exit -F arch=b64 -S init_module -k t2 # trailing comment",
    "-a always,exit\t-F arch=b64 -S init_module -k tab",
    "-a always,exit -F arch=b64 -S init_module -F perm=z",
    "-a always,exit -F arch=b64 -S init_module -F auid",
    "-a alwys,exit -F arch=b64 -S init_module",
    "-a always -F arch=b64 -S init_module",
    "-a entry,always -S init_module",
    "-F arch=b64 -S init_module",
    "-a always,exit -F arch=b99 -S init_module",
    "-a always,exit -F arch=b64 -S",
    "-w relative/path -p x",
    "-a always,exit -F arch=b64 -S open -C uid!=gid",
    "-a always,filesystem -F fstype=ext4",
    "-a always,exit -F arch=b64 -S open -F msgtype=CWD",
    "-a always,exit -F arch=b64 -S init_module -F exe=/usr/bin/kmod -F exe=/usr/bin/ls",
    # Refused by this host's kernel or auditctl, found by the host checks (audit_host facts):
    "-w /nonexistent-auditkit/tool -p x",
    "-a always,exit -F arch=b64 -S init_module -F dir=/nonexistent-auditkit",
    "-a always,exit -F arch=b64 -S init_module -F path=/nonexistent-auditkit/x",
    "-a always,exit -F arch=b64 -S init_module -F exe=/nonexistent-auditkit/x",
    "-a always,exit -F arch=b64 -S open -F uid=no-such-user-auditkit",
    "-a always,exit -F arch=b64 -S open -F gid=no-such-group-auditkit",
    # ... and accepted: the file itself may be missing, only its directory must exist.
    "-w /tmp/nonexistent-auditkit -p x",
    "-a always,exit -F arch=b64 -S init_module -F exe=/tmp/nonexistent-auditkit",
    "-a always,exit -F arch=b64 -S open -F uid=nobody -F gid=nogroup",
]

ARCHES = ["-F arch=b64", "-F arch=x86_64", "-F arch=b32", "-F arch=i386", "-F arch=i686", ""]
SYSCALLS = ["-S init_module", "-S init_module,finit_module", "-S finit_module -S init_module",
            "-S delete_module", "-S create_module,query_module", "-S all", "-S 128", "-S finit_module,175"]
FILTERS = ["", "-F auid>=1000 -F auid!=unset", "-F auid!=-1 -F auid>=1000", "-F auid!=4294967295",
           "-F exit=-EPERM", "-F success=0 -F uid=0", "-C auid!=uid", "-F perm=x"]
KEYS = ["", "-k k1", "-F key=k1", "-k k1 -k k2", "-F key=module_chng -k extra"]
HEADS = ["-a always,exit", "-a exit,always", "-a never,exit", "-A always,exit"]


def generated_corpus(count=220, seed=2026):
    """Combinations of spellings; filters and keys sometimes placed before -S."""
    rng = random.Random(seed)
    combos = list(itertools.product(HEADS, ARCHES, SYSCALLS, FILTERS, KEYS))
    rng.shuffle(combos)
    lines = []
    for head, arch, syscalls, filters, keys in combos[:count]:
        if rng.random() < 0.3:
            parts = [head, arch, filters, keys, syscalls]
        else:
            parts = [head, arch, syscalls, filters, keys]
        lines.append(" ".join(p for p in parts if p))
    return lines


CORPUS = HAND_WRITTEN + generated_corpus()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """Yield a function that loads one line alone and returns (accepted, loaded lines)."""
    guard = KernelGuard()
    work = tmp_path_factory.mktemp("work") / "one.rules"

    def load(line):
        auditctl("-D")
        work.write_text(line + "\n")
        result = auditctl("-R", str(work))
        return result.returncode == 0, loaded_lines()

    yield load
    guard.restore()


def _host_problem(rule):
    """What the host layer knows: missing directories, names that do not resolve."""
    snapshot = E.Snapshot(MACHINE, paths=H.path_facts([p for p, _needs in E.rule_paths(rule)]),
                          names=H.resolve_names([rule]))
    return snapshot.host_problem(rule)


def _engine_accepts(line):
    """(accepted, parsed rule or None): accepted means parsed, resolvable and loadable here."""
    try:
        parsed = P.parse_line(line)
        if parsed.kind == "rule":
            if _host_problem(parsed):  # also resolves names to numbers, as auditctl does
                return False, parsed
            S.canonical(parsed, MACHINE, os.path.isdir)
    except AuditRuleError:
        return False, None
    return not parsed.load_issues, parsed


def test_corpus_is_large_enough():
    assert len(set(CORPUS)) >= 200


@pytest.mark.parametrize("line", CORPUS)
def test_engine_agrees_with_kernel(kernel, line):
    kernel_accepts, loaded = kernel(line)
    engine_accepts, written = _engine_accepts(line)
    assert engine_accepts == kernel_accepts, "kernel %s, engine %s: %r -> %r" % (
        "accepts" if kernel_accepts else "rejects", "accepts" if engine_accepts else "rejects", line, loaded)
    if not kernel_accepts:
        return
    assert len(loaded) == 1, loaded
    if loaded[0].startswith(" -p "):
        # auditctl -l prints an exit rule with perm, -S all, no arch and no path as a
        # watch without its path (" -p x -k k"): nothing can read that back.
        assert written.field_values("perm") and not written.field_values("arch"), line
        return
    shown = P.parse_rule(loaded[0])
    assert S.equivalent(written, shown, MACHINE, key_policy="exact", is_dir=os.path.isdir), (line, loaded[0])
    assert S.canonical_text(written, MACHINE, os.path.isdir) == S.canonical_text(shown, MACHINE, os.path.isdir)
