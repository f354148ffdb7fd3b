# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Version facts (audit_versions.py): parsing ``auditctl -v``, the facts per version, and the
missing syscall names checked against each version's own tables in the upstream tarballs.
The kernel judges the same facts in tests/kernel/test_kernel_differential.py."""
import os
import re
import tarfile

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_versions as V
from ansible_collections.auditkit.auditd.plugins.module_utils import syscall_tables
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_line

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
VENDOR = os.path.join(os.path.dirname(ROOT), "shared", "vendor", "audit-userspace")
TABLE_FILES = {"x86_64": "x86_64", "i386": "i386", "aarch64": "aarch64", "arm": "arm", "ppc64le": "ppc",
               "s390x": "s390x", "s390": "s390"}


@pytest.mark.parametrize("text, version", [
    ("auditctl version 3.0.9\n", (3, 0, 9)), ("auditctl version 2.8.5", (2, 8, 5)),
    ("auditctl version 4.0", (4, 0, 0)), ("", None), (None, None), ("no version here", None),
])
def test_parse_version(text, version):
    assert V.parse_version(text) == version


def test_facts_by_version():
    assert not V.has((2, 8, 5), "saddr_fam_field") and V.has((3, 0, 6), "saddr_fam_field")
    assert not V.has((3, 1, 1), "augenrules_strips_cr") and V.has((3, 1, 2), "augenrules_strips_cr")
    # an unknown version behaves as the baseline the engine was measured with (3.0.9)
    assert V.has(None, "exe_not_equal") and not V.has(None, "augenrules_strips_cr")


def _rule(text):
    return parse_line(text)


@pytest.mark.parametrize("line, reason", [
    ("-a always,exit -F arch=b64 -S open -F saddr_fam=2", "saddr_fam"),
    ("-a always,exit -F arch=b64 -S open -F exe!=/usr/bin/kmod", "exe only takes the = operator"),
    ("-a always,exclude -F exe=/usr/bin/kmod", "exclude list"),
    ("-a always,exit -F arch=b64 -S init_module,openat2", "syscall openat2 on x86_64"),
    ("-a always,exit -F arch=b32 -S clone3", "syscall clone3 on i386"),
    ("-a always,exit -F arch=armv8l -S openat", "machine armv8l"),  # 2.8.5's machinetab.h lacks it
])
def test_refused_by_2_8_5_only(line, reason):
    rule = _rule(line)
    table = "i386" if "b32" in line else "aarch64" if "armv8l" in line else "x86_64"
    assert reason in V.refusal((2, 8, 5), rule, table)
    for version in [(3, 0, 9), (3, 1, 5), (4, 0, 3), None]:
        assert V.refusal(version, rule, table) is None


def test_io_uring_list_from_3_1_2():
    rule = _rule("-a always,io_uring -S openat -k u")
    assert "io_uring list" in V.refusal((3, 0, 9), rule)
    assert V.refusal((3, 1, 2), rule) is None and V.refusal(None, rule) is None


def test_syscall_numbers_and_old_names_load_everywhere():
    for line in ["-a always,exit -F arch=b64 -S 437", "-a always,exit -F arch=b64 -S init_module,finit_module"]:
        assert V.refusal((2, 8, 5), _rule(line), "x86_64") is None


def test_missing_syscalls_between_measured_versions():
    assert "futex_waitv" in V.missing_syscalls((3, 0, 6), "x86_64")
    assert V.missing_syscalls((3, 0, 7), "x86_64") == frozenset(["set_mempolicy_home_node"])
    assert V.missing_syscalls((3, 0, 8), "x86_64") == V.missing_syscalls((3, 0, 7), "x86_64")  # older facts
    assert V.missing_syscalls((2, 6, 0), "x86_64") == V.missing_syscalls((2, 8, 5), "x86_64")
    assert V.missing_syscalls((3, 0, 9), "x86_64") == frozenset()


def _tarball(version):
    path = os.path.join(VENDOR, "audit-userspace-%s.tar.gz" % version)
    if not os.path.exists(path):
        pytest.skip("no audit userspace tarballs at %s (a clone without ../shared)" % VENDOR)
    return path


@pytest.mark.parametrize("version", sorted(v for v in V.MISSING_SYSCALLS if v < V.BASELINE))
def test_missing_syscalls_match_the_versions_tables(version):
    text = V.version_text(version)
    with tarfile.open(_tarball(text)) as tar:
        for table, header in TABLE_FILES.items():
            member = tar.extractfile("audit-userspace-%s/lib/%s_table.h" % (text, header))
            names = set(re.findall(r'_S\(\d+,\s*"([^"]+)"\)', member.read().decode()))
            expected = set(syscall_tables.SYSCALLS[table]) - names
            assert V.missing_syscalls(version, table) == expected, (text, table)


def _snapshot(version, text):
    return N.Snapshot("x86_64", files=[R.RulesFile("/r/a.rules", text)], rules_dir="/r", audit_version=version)


def test_snapshot_host_problem_uses_the_version():
    rule = _rule("-a always,exit -F arch=b64 -S openat2 -k o")
    assert "auditctl 2.8.5" in _snapshot((2, 8, 5), "").host_problem(rule)
    assert _snapshot((3, 0, 9), "").host_problem(rule) is None
    assert _snapshot(None, "").host_problem(rule) is None


def test_snapshot_compile_strips_cr_from_3_1_2():
    text = "-a always,exit -F arch=b64 -S init_module -k m\r\n"
    old = _snapshot((3, 0, 7), text).compile()
    new = _snapshot((3, 1, 2), text).compile()
    assert old[-2].text.endswith("\r") and "carriage return" in old[-2].item.load_issues[0]
    assert new[-2].text == "-a always,exit -F arch=b64 -S init_module -k m" and not new[-2].item.load_issues
    assert new[-2].source.line == 1
