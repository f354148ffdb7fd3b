# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""First-match coverage: several rules together, never rules, never,task, disjoint filters."""
import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_coverage as C
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_rule

STIG = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"


def _judge(required, lines, honour_never=True, **policy):
    result = R.simulate_load(R.parse_items("\n".join(lines) + "\n", "f"), "x86_64", continue_on_error=True)
    canon = S.canonical(parse_rule(required), "x86_64")
    return C.judge(canon, result.rules(canon.list), result.rules("task"), S.MatchPolicy(**policy),
                   honour_never=honour_never)


def test_two_rules_together_cover_one_requirement():
    verdict = _judge(STIG, ["-a always,exit -F arch=b64 -S finit_module -F auid!=-1 -F auid>=1000",
                            "-a exit,always -F arch=x86_64 -S 175 -F loginuid>=1000 -F auid!=4294967295 -k other"])
    assert verdict.status == "covered"
    assert [found for _rule, found in verdict.evidence] == [set([313]), set([175])]


def test_partial_and_missing():
    assert _judge(STIG, ["-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=unset"]).status == "partial"
    assert _judge(STIG, ["-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset"]
                  ).status == "missing"


def test_narrower_rule_never_covers_and_broader_needs_coverage_mode():
    narrower = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -F exit=-EPERM"
    assert _judge(STIG, [narrower], match="coverage").status == "missing"
    broader = "-a always,exit -S init_module,finit_module"
    assert _judge(STIG, [broader]).status == "missing"
    assert _judge(STIG, [broader], match="coverage").status == "covered"


def test_key_policy_exact():
    rule = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k other"
    assert _judge(STIG, [rule]).status == "covered"
    assert _judge(STIG, [rule], key_policy="exact").status == "missing"


def test_earlier_never_rule_suppresses_later_coverage():
    verdict = _judge(STIG, ["-a never,exit -F arch=b64 -S init_module", STIG])
    assert verdict.status == "suppressed"
    assert [found for _rule, found in verdict.suppressed] == [set([175])]


def test_never_rule_after_the_covering_rule_changes_nothing():
    assert _judge(STIG, [STIG, "-a never,exit -F arch=b64 -S init_module"]).status == "covered"


def test_prepended_never_rule_goes_first():
    assert _judge(STIG, [STIG, "-A never,exit -F arch=b64 -S all"]).status == "suppressed"


@pytest.mark.parametrize("never", [
    "-a never,exit -F arch=b64 -S init_module -F auid=unset",          # unset is excluded by auid!=unset
    "-a never,exit -F arch=b64 -S init_module -F auid<1000",           # below the auid range
    "-a never,exit -F arch=b32 -S all",                                 # another ABI
    "-a never,exit -F arch=b64 -S delete_module",                       # another syscall
])
def test_never_rules_that_cannot_match_do_not_suppress(never):
    assert _judge(STIG, [never, STIG]).status == "covered"


def test_never_rule_with_a_filter_the_requirement_lacks_still_suppresses_part():
    # it drops init_module calls on /x: some events the requirement asks for
    assert _judge(STIG, ["-a never,exit -F arch=b64 -S all -F path=/x", STIG]).status == "suppressed"


def test_auid_range_overlap_uses_unsigned_comparison():
    # the kernel compares auid unsigned: unset (4294967295) is >= 1000, so this never rule overlaps
    broad = "-a always,exit -F arch=b64 -S init_module -F auid>=1000"
    assert _judge(broad, ["-a never,exit -F arch=b64 -S init_module -F auid=unset", broad]).status == "suppressed"


def test_task_never_suppresses_everything_unless_an_always_task_rule_comes_first():
    assert _judge(STIG, ["-a task,never", STIG]).status == "suppressed"
    assert _judge(STIG, ["-a always,task", "-a task,never", STIG]).status == "covered"
    assert _judge(STIG, ["-a never,task -F uid=0", STIG]).status == "suppressed"  # uid 0 may have auid>=1000
    assert _judge(STIG, ["-a never,task -F auid<1000", STIG]).status == "covered"


def test_watch_requirement_covered_by_path_rule():
    verdict = _judge("-w /usr/bin/kmod -p x -k modules", ["-a always,exit -F path=/usr/bin/kmod -F perm=x -k m"])
    assert verdict.status == "covered"


def test_ignoring_never_rules_for_planning():
    verdict = _judge(STIG, ["-a never,task", STIG], honour_never=False)
    assert verdict.status == "covered"


def test_never_rule_without_arch_drops_the_number_on_every_abi():
    # `-S 128` without arch is nr 128 on every ABI: rt_sigtimedwait on x86_64, init_module on i386.
    # Measured on the kernel (tests/kernel/test_event_proof.py::test_never_rule_without_arch_...):
    # the b32 init_module call goes unrecorded, the b64 one is recorded.
    b32 = "-a always,exit -F arch=b32 -S init_module -F auid>=1000 -F auid!=unset -k module_chng"
    b64 = "-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=unset -k module_chng"
    lines = ["-a never,exit -S 128", b32, b64]
    assert _judge(b32, lines).status == "suppressed"
    assert _judge(b64, lines).status == "covered"


# --- never rules with an auid bound, against a hand-written reference ------------------------------
# A never rule suppresses the STIG rule when some login uid meets both rules' auid filters. The
# reference tries ids (0, each constant and its neighbours, the largest: unset, as the kernel
# compares unsigned) instead of reasoning about bounds.

UNSET = 4294967295
HOLDS = {"=": lambda x, c: x == c, "!=": lambda x, c: x != c, "<": lambda x, c: x < c,
         ">": lambda x, c: x > c, "<=": lambda x, c: x <= c, ">=": lambda x, c: x >= c}


def _some_auid_meets(constraints):
    ids = set([0, UNSET])
    for _op, value in constraints:
        ids.update(i for i in (value - 1, value, value + 1) if 0 <= i <= UNSET)
    return any(all(HOLDS[op](i, value) for op, value in constraints) for i in ids)


@settings(max_examples=300, deadline=None)
@given(bounds=st.lists(st.tuples(st.sampled_from(sorted(HOLDS)),
                                 st.sampled_from([0, 1, 500, 999, 1000, 1001, 4294967294, "unset"]))
                       .filter(lambda b: b[1] != "unset" or b[0] in ("=", "!=")),  # as auditctl allows
                       min_size=1, max_size=2))
def test_never_rule_with_auid_bounds_suppresses_iff_some_login_uid_meets_both(bounds):
    filters = " ".join("-F auid%s%s" % (op, value) for op, value in bounds)
    never = "-a never,exit -F arch=b64 -S init_module,finit_module %s" % filters
    numbers = [(op, UNSET if value == "unset" else value) for op, value in bounds]
    overlap = _some_auid_meets(numbers + [(">=", 1000), ("!=", UNSET)])
    assert _judge(STIG, [never, STIG]).status == ("suppressed" if overlap else "covered"), never


@pytest.mark.parametrize("never, status", [
    ("-a never,exit -F arch=b64 -S init_module -F exe=/usr/bin/other", "covered"),   # another program
    ("-a never,exit -F arch=b64 -S init_module -F exe!=/usr/bin/kmod", "covered"),   # every other program
    ("-a never,exit -F arch=b64 -S init_module -F exe=/usr/bin/kmod", "suppressed"),
])
def test_never_rule_on_another_program_drops_nothing_of_this_one(never, status):
    required = "-a always,exit -F arch=b64 -S init_module -F exe=/usr/bin/kmod -k m"
    assert _judge(required, [never, required]).status == status


@pytest.mark.parametrize("never, status", [
    ("-a never,exit -F path=/etc/hosts -F perm=r", "covered"),    # reads only: no write event is dropped
    ("-a never,exit -F path=/etc/hosts -F perm=rw", "suppressed"),
])
def test_never_rule_with_other_permissions_drops_nothing(never, status):
    required = "-a always,exit -F path=/etc/hosts -F perm=w -k hosts"
    assert _judge(required, [never, required]).status == status
