# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Coverage mode accepts rules broader by a uid/gid bound or by perm letters: the kernel records
every required event with them (tests/kernel/test_event_proof.py, docs/event-proof.md)."""
import pytest
from hypothesis import given, settings, strategies as st

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


# --- implied bounds against a hand-written reference ------------------------------------------------
# The reference decides "does every id the required bound admits satisfy the existing one?" by
# trying ids, not by reasoning about bounds: an existing (op, c) changes truth only at c, so trying
# 0, the largest id (unset) and each constant with its neighbours tries every kind of id.

UNSET = 4294967295
OPS = ("=", "!=", "<", ">", "<=", ">=")
HOLDS = {"=": lambda x, c: x == c, "!=": lambda x, c: x != c, "<": lambda x, c: x < c,
         ">": lambda x, c: x > c, "<=": lambda x, c: x <= c, ">=": lambda x, c: x >= c}


def _every_admitted_id_satisfies(op, bound, required_op, value):
    ids = set([0, UNSET])
    for constant in (bound, value):
        ids.update(i for i in (constant - 1, constant, constant + 1) if 0 <= i <= UNSET)
    return all(HOLDS[op](i, bound) for i in ids if HOLDS[required_op](i, value))


def test_not_equal_to_the_lowest_admitted_id_leaves_that_id_out():
    # auid!=1000 drops uid 1000's events: it does not cover auid>=1000
    assert not S.implied(("auid", "!=", 1000), frozenset([("auid", ">=", 1000)]))
    assert S.implied(("auid", "!=", 999), frozenset([("auid", ">=", 1000)]))
    assert not S.implied(("auid", "!=", 5000), frozenset([("auid", "<=", 5000)]))
    assert S.implied(("auid", "!=", 5001), frozenset([("auid", "<=", 5000)]))


# Where the engine decides by bounds (one required bound of the same field), it must give the
# reference's answer; elsewhere it may only be more careful (never True where the reference is False).
DECIDED = {"=": OPS, ">=": (">=", ">", "!="), ">": (">=", ">", "!="), "<=": ("<=", "<", "!="),
           "<": ("<=", "<", "!=")}


NEAR_VALUES = (0, 1, 2, 499, 500, 999, 1000, 1001, 4294967294, UNSET)


def _implied_agrees(op, bound, required_op, value):
    engine = S.implied(("auid", op, bound), frozenset([("auid", required_op, value)]))
    reference = _every_admitted_id_satisfies(op, bound, required_op, value)
    if op in DECIDED.get(required_op, ()):
        return engine == reference
    return not engine or reference


def test_implied_bounds_agree_with_trying_the_ids_for_every_pair_of_bounds():
    # all 3,600 (op, bound) x (required op, value) pairs: cheap, and no pair left to chance
    wrong = [(op, bound, rop, value) for op in OPS for bound in NEAR_VALUES for rop in OPS for value in NEAR_VALUES
             if not _implied_agrees(op, bound, rop, value)]
    assert not wrong, wrong[:5]


@settings(max_examples=200, deadline=None)
@given(op=st.sampled_from(OPS), bound=st.integers(0, UNSET), required_op=st.sampled_from(OPS),
       value=st.integers(0, UNSET))
def test_implied_bounds_agree_with_trying_the_ids_anywhere(op, bound, required_op, value):
    assert _implied_agrees(op, bound, required_op, value)
