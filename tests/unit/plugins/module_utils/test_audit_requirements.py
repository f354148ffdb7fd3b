# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation of user-given rules: refusals name the rule and the reason; arch applicability."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q

GOOD = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"


@pytest.mark.parametrize("text, reason", [
    (GOOD + "\n-e 0", "newline"),
    (GOOD + "\x00", "NUL"),
    ("-D", "setting"),
    ("-e 2", "setting"),
    ("-b 8192", "setting"),
    ("-f 0", "setting"),
    ("-a never,task", "never rule"),
    ("-a never,exit -F arch=b64 -S init_module", "never rule"),
    ("-d always,exit -F arch=b64 -S init_module", "deletes"),
    ("-W /usr/bin/kmod -p x", "deletes"),
    ("-a always,exit -F arch=b64 -S init_modul", "unknown syscall init_modul"),
    ("-a always,exit -F arch=b64 -S init_module ; rm -rf /", "unexpected word"),
    ("# -a always,exit -S all", "not a rule"),
    ("", "not a rule"),
    ("x" * 5000, "limit is 4096"),
    (42, "must be a string"),
])
def test_refusals_name_the_rule_and_reason(text, reason):
    with pytest.raises(Q.RequirementError) as error:
        Q.parse_requirements(["-w /usr/bin/kmod -p x", text], "x86_64")
    assert "rules[1]" in str(error.value) and reason in str(error.value)


def test_allow_options():
    requirements = Q.parse_requirements(["-b 8192", "-a never,task"], "x86_64", allow_never=True, allow_control=True)
    assert requirements[0].is_control and requirements[1].rule.action == "never"


def test_too_many_rules():
    with pytest.raises(Q.RequirementError, match="limit is 1000"):
        Q.parse_requirements([GOOD] * 1001, "x86_64")


def test_unknown_machine():
    with pytest.raises(Q.RequirementError, match="arch: unsupported machine"):
        Q.parse_requirements([GOOD], "vax")


def test_syscall_missing_on_arch_is_not_applicable():
    create = "-a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change"
    aarch64 = Q.parse_requirements([create], "aarch64")[0]
    assert aarch64.not_applicable == "create_module does not exist on aarch64 (aarch64 table)"
    assert Q.parse_requirements([create], "x86_64")[0].not_applicable is None


def test_partly_missing_syscalls_are_dropped_with_a_note():
    rule = "-a always,exit -F arch=b64 -S init_module,create_module,query_module -k m"
    requirement = Q.parse_requirements([rule], "aarch64")[0]
    assert requirement.rendered("aarch64") == "-a always,exit -F arch=b64 -S init_module -k m"
    assert requirement.notes == ["create_module, query_module: not on aarch64, not required there"]
