# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Coverage mode accepts rules broader by a uid/gid bound or by perm letters: the kernel records
every required event with them (tests/kernel/test_event_proof.py, docs/event-proof.md)."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as PA
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S

STIG = "-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=unset -k module_chng"
STIG_1000 = STIG.replace("auid>=1000 -F auid!=unset", "auid=1000")
KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"


@pytest.mark.parametrize("existing, required, expected", [
    (STIG.replace("auid>=1000", "auid>=500"), STIG, True),
    (STIG.replace("auid>=1000", "auid>999"), STIG, True),
    (STIG.replace("auid>=1000", "auid!=0"), STIG, True),          # 0 < 1000: never admitted
    (STIG.replace("auid>=1000", "auid>=2000"), STIG, False),      # narrower
    (STIG.replace("auid>=1000", "auid>1000"), STIG, False),       # 1000 itself left out
    (STIG.replace(" -F auid>=1000", ""), STIG, True),
    (STIG.replace("auid!=unset", "auid!=4294967294"), STIG, False),  # unset admitted? no, but 4294967294 is
    (STIG.replace("auid>=1000 -F auid!=unset", "auid=1000"), STIG_1000, True),
    (STIG.replace("auid>=1000 -F auid!=unset", "auid<=5000"), STIG_1000, True),
    (STIG.replace("auid>=1000", "uid>=500"), STIG, False),        # another field: narrower
    (KMOD.replace("perm=x", "perm=rwxa"), KMOD, True),
    (KMOD.replace("perm=x", "perm=wa"), KMOD, False),
    (KMOD.replace("auid>=1000", "auid>=500"), KMOD, True),
])
def test_coverage_accepts_broader_bounds_and_perms(existing, required, expected):
    assert S.covers(PA.parse_rule(existing), PA.parse_rule(required), "x86_64", match="coverage") is expected
    if existing != required:
        assert not S.covers(PA.parse_rule(existing), PA.parse_rule(required), "x86_64", match="strict")


KMOD_STIG = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"


@pytest.mark.parametrize("never, suppressed", [
    ("-a never,exit -F arch=b64 -S delete_module", False),       # no execve: cannot drop a kmod run
    ("-a never,exit -F arch=b64 -S finit_module -F uid=0", False),
    ("-a never,exit -F arch=b64 -S execve", True),
    ("-a never,exit -F arch=b32 -S 11", True),                     # execve on i386
    ("-a never,exit -S 11", True),                                 # no arch: 11 is execve on i386
    ("-a never,exit -F arch=b64 -S all", True),
])
def test_never_rules_without_exec_syscalls_do_not_suppress_a_kmod_rule(never, suppressed):
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_coverage as C
    required = S.canonical(PA.parse_rule(KMOD_STIG), "x86_64")
    rules = [PA.parse_rule(never), PA.parse_rule(KMOD_STIG)]

    class Loaded(object):
        def __init__(self, rule):
            self.rule, self.canon = rule, S.canonical(rule, "x86_64")

    verdict = C.judge(required, [Loaded(r) for r in rules])
    assert bool(verdict.suppressed) is suppressed, verdict.suppressed
