# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Equivalence, coverage and rendering of audit rules, on a corpus of spellings."""

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as PA
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError

STIG_INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
STIG_KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"

# Each pair means the same rule to the kernel on x86_64.
EQUIVALENT = [
    (STIG_INIT, "-a exit,always -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=4294967295 -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -F key=module_chng"),
    (STIG_INIT, "-a always,exit -F arch=x86_64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -S finit_module,init_module -F auid!=unset -F auid>=1000 -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -S init_module -S finit_module -F auid>=1000 -F auid!=unset -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -S 175,313 -F auid>=1000 -F auid!=unset -k module_chng"),
    (STIG_INIT, "-a always,exit -F arch=b64 -F auid>=1000 -F auid!=unset -S init_module,finit_module -F key=module_chng"),
    (STIG_INIT, "  -a  always,exit   -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng "),
    (STIG_INIT, "-a always,exit -F arch=b64 -S init_module,finit_module -F loginuid>=1000 -F auid!=unset -k module_chng"),
    (STIG_INIT, "-A always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"),
    ("-a always,exit -F arch=b32 -S init_module -k m", "-a always,exit -F arch=i386 -S 128 -k m"),
    ("-a always,exit -F arch=b32 -S init_module -k m", "-a always,exit -F arch=i686 -S init_module -F key=m"),
    (STIG_KMOD, "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules"),
    (STIG_KMOD, "-w /usr/bin/kmod -p x -F auid>=1000 -F auid!=unset -k modules"),
    ("-w /sbin/insmod -p x -k modules", "-a always,exit -F path=/sbin/insmod -F perm=x -k modules"),
    ("-w /sbin/insmod -p xr -k m", "-w /sbin/insmod/ -p rx -k m"),
    ("-a always,exit -F arch=b64 -S open -F exit=-EPERM", "-a always,exit -F arch=b64 -S open -F exit=-1"),
    ("-a always,exit -F arch=b64 -S open -F a0=16", "-a always,exit -F arch=b64 -S open -F a0=0x10"),
    ("-a always,exit -F arch=b64 -S open -C auid!=uid", "-a always,exit -F arch=b64 -S open -C uid!=auid"),
    ("-a always,exit -F arch=b64 -S open -F uid=root", "-a always,exit -F arch=b64 -S open -F uid=0"),
    ("-a always,exit -F arch=b64 -S all -F auid>=1000", "-a always,exit -F arch=b64 -F auid>=1000"),
    ("-a never,task", "-a task,never"),
    ("-a always,exit -F arch=b64 -S init_module -k a -k b", "-a always,exit -F arch=b64 -S init_module -F key=b -k a"),
]

# Each pair differs in meaning.
NOT_EQUIVALENT = [
    (STIG_INIT, STIG_INIT.replace("arch=b64", "arch=b32")),
    (STIG_INIT, STIG_INIT.replace("always,exit", "never,exit")),
    (STIG_INIT, STIG_INIT.replace("init_module,finit_module", "init_module")),
    (STIG_INIT, STIG_INIT + " -F exit=-EPERM"),
    (STIG_INIT, STIG_INIT.replace("auid>=1000", "auid>1000")),
    (STIG_INIT, STIG_INIT.replace("auid!=unset", "auid=unset")),
    (STIG_INIT, STIG_INIT.replace(" -F arch=b64", "")),
    (STIG_INIT, STIG_INIT.replace("module_chng", "modules")),
    ("-w /sbin/insmod -p x", "-w /sbin/insmod -p wa"),
    ("-w /sbin/insmod -p x", "-w /usr/bin/kmod -p x"),
    ("-a always,exit -F arch=b64 -S 128", "-a always,exit -F arch=b32 -S 128"),
    ("-a always,exit -F arch=b64 -S open -F uid=0", "-a always,exit -F arch=b64 -S open -F euid=0"),
    ("-a always,exit -F arch=b64 -S all", "-a always,exit -F arch=b64 -S open"),
]


def _rule(text):
    return PA.parse_rule(text)


@pytest.mark.parametrize("left,right", EQUIVALENT)
def test_equivalent_spellings(left, right):
    assert S.equivalent(_rule(left), _rule(right), "x86_64")
    assert S.equivalent(_rule(right), _rule(left), "x86_64")
    assert S.canonical_text(_rule(left), "x86_64") == S.canonical_text(_rule(right), "x86_64")


@pytest.mark.parametrize("left,right", NOT_EQUIVALENT)
def test_different_meanings(left, right):
    assert not S.equivalent(_rule(left), _rule(right), "x86_64")
    assert S.canonical_text(_rule(left), "x86_64") != S.canonical_text(_rule(right), "x86_64")


def test_key_policy_any_ignores_keys():
    a, b = _rule(STIG_INIT), _rule(STIG_INIT.replace("module_chng", "modules"))
    assert S.equivalent(a, b, "x86_64", key_policy="any")
    assert not S.equivalent(a, b, "x86_64", key_policy="exact")


def test_arch_b64_means_the_machine_table():
    b64 = _rule("-a always,exit -F arch=b64 -S init_module")
    assert S.canonical(b64, "x86_64").table == "x86_64"
    assert S.canonical(b64, "aarch64").table == "aarch64"
    assert S.canonical(b64, "aarch64").syscalls == frozenset([105])
    assert S.canonical(_rule("-a always,exit -F arch=b32 -S init_module"), "aarch64").table == "arm"
    assert S.equivalent(_rule("-a always,exit -F arch=x86_64 -S init_module"), b64, "x86_64") is True
    assert S.equivalent(_rule("-a always,exit -F arch=i386 -S init_module"), b64, "x86_64") is False


def test_watch_on_a_directory_uses_dir():
    watch = _rule("-w /etc -p wa")
    assert ("dir", "=", "/etc") in S.canonical(watch, "x86_64", is_dir=lambda p: True).filters
    assert ("path", "=", "/etc") in S.canonical(watch, "x86_64").filters


class TestCovers(object):
    REQUIRED = _rule(STIG_INIT)

    def covers(self, text, **kw):
        return S.covers(_rule(text), self.REQUIRED, "x86_64", **kw)

    def test_same_rule_covers(self):
        assert self.covers(STIG_INIT)

    def test_superset_of_syscalls_covers(self):
        assert self.covers(STIG_INIT.replace("init_module,finit_module", "init_module,finit_module,delete_module"))

    def test_syscall_all_covers(self):
        assert self.covers(STIG_INIT.replace("init_module,finit_module", "all"))

    def test_subset_of_syscalls_does_not_cover(self):
        assert not self.covers(STIG_INIT.replace("init_module,finit_module", "init_module"))

    def test_narrower_rule_never_covers(self):
        narrower = STIG_INIT + " -F exit=-EPERM"
        assert not self.covers(narrower)
        assert not self.covers(narrower, match="coverage")

    def test_broader_rule_covers_only_in_coverage_mode(self):
        broader = "-a always,exit -F arch=b64 -S init_module,finit_module -k module_chng"
        assert not self.covers(broader)
        assert self.covers(broader, match="coverage")

    def test_archless_rule_covers_native_only_in_coverage_mode(self):
        archless = STIG_INIT.replace("-F arch=b64 ", "")
        assert not self.covers(archless)
        assert self.covers(archless, match="coverage")
        b32 = _rule(STIG_INIT.replace("arch=b64", "arch=b32"))
        assert not S.covers(_rule(archless), b32, "x86_64", match="coverage")

    def test_other_arch_does_not_cover(self):
        assert not self.covers(STIG_INIT.replace("arch=b64", "arch=b32"))

    def test_never_does_not_cover_always(self):
        assert not self.covers(STIG_INIT.replace("always,exit", "never,exit"))

    def test_key_policy(self):
        other_key = STIG_INIT.replace("module_chng", "modules")
        assert self.covers(other_key)
        assert not self.covers(other_key, key_policy="exact")

    def test_delete_rule_never_covers(self):
        assert not self.covers(STIG_INIT.replace("-a ", "-d "))

    def test_partial_coverage_is_reported_per_syscall(self):
        init_only = S.canonical(_rule(STIG_INIT.replace("init_module,finit_module", "init_module")), "x86_64")
        required = S.canonical(self.REQUIRED, "x86_64")
        assert S.covered_syscalls(init_only, required) == frozenset([175])


class TestRender(object):
    def test_render_is_stable_and_readable(self):
        messy = "-a exit,always -F arch=b64 -F auid!=4294967295 -S 175 -S finit_module -F auid>=1000 -F key=module_chng"
        assert S.render(_rule(messy), "x86_64") == (
            "-a always,exit -F arch=b64 -S init_module,finit_module -F auid!=unset -F auid>=1000 -k module_chng")

    def test_render_of_a_watch(self):
        assert S.render(_rule("-w /sbin/insmod/ -p xr -k modules")) == "-w /sbin/insmod -p rx -k modules"

    def test_canonical_text_sorts_syscalls_by_number(self):
        rule = _rule("-a always,exit -F arch=b64 -S finit_module,delete_module,init_module -k k")
        assert S.canonical_text(rule, "x86_64") == "-a always,exit -F arch=b64 -S init_module,delete_module,finit_module -k k"

    def test_canonical_text_of_a_watch_is_its_exit_rule(self):
        text = S.canonical_text(_rule("-w /usr/bin/kmod -p x -k modules"), "x86_64")
        assert text == "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -k modules"


class TestArchErrors(object):
    def test_unknown_syscall_names_syscall_and_arch(self):
        rule = _rule("-a always,exit -F arch=b64 -S create_module -k m")
        with pytest.raises(AuditRuleError) as err:
            S.canonical(rule, "aarch64")
        assert "create_module" in err.value.reason and "aarch64" in err.value.reason
        assert err.value.column == rule.text.index("create_module") + 1

    def test_b64_on_a_32_bit_machine(self):
        with pytest.raises(AuditRuleError, match="no 64-bit ABI"):
            S.canonical(_rule("-a always,exit -F arch=b64 -S init_module"), "i386")

    def test_foreign_arch(self):
        with pytest.raises(AuditRuleError, match="cannot be used on aarch64"):
            S.canonical(_rule("-a always,exit -F arch=x86_64 -S init_module"), "aarch64")

    def test_unsupported_machine(self):
        with pytest.raises(AuditRuleError, match="unsupported machine"):
            S.canonical(_rule("-a always,exit -F arch=b64 -S init_module"), "mips")

    @pytest.mark.parametrize("machine,bits", [("x86_64", "b64"), ("x86_64", "b32"), ("aarch64", "b64"), ("aarch64", "b32"),
                                              ("ppc64le", "b64"), ("ppc64le", "b32"), ("s390x", "b64"), ("s390x", "b32"),
                                              ("i386", "b32"), ("arm", "b32")])
    def test_module_syscalls_resolve_on_every_supported_abi(self, machine, bits):
        rule = _rule("-a always,exit -F arch=%s -S init_module,finit_module,delete_module" % bits)
        assert len(S.canonical(rule, machine).syscalls) == 3
