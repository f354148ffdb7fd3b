# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests (hypothesis) and fuzzing of the rule engine."""

from hypothesis import given, settings, strategies as st

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as PA
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError

MACHINES = ["x86_64", "aarch64", "ppc64le", "s390x"]
SYSCALLS = ["init_module", "finit_module", "delete_module", "openat", "execve", "unlinkat", "105", "128"]
FILTERS = ["-F auid>=1000", "-F auid!=unset", "-F auid!=-1", "-F auid!=4294967295", "-F exit=-EPERM",
           "-F success=0", "-F uid=0", "-F euid!=0", "-F a0&0x10", "-F a1=7", "-C auid!=uid", "-F perm=wx",
           "-F exe=/usr/bin/kmod", "-F pers=1", "-F gid>=1000", "-F filetype=file", "-F sessionid<3"]
KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=12)
SPACE = st.sampled_from([" ", "  ", "   "])


@st.composite
def syscall_rules(draw):
    """Valid exit rules in many spellings (arch before -S, keys after it, as auditctl wants)."""
    sep = draw(SPACE)
    head = draw(st.sampled_from(["-a always,exit", "-a exit,always", "-a never,exit", "-A always,exit"]))
    parts = [head]
    parts += draw(st.sampled_from([[], ["-F arch=b64"], ["-F arch=b32"]]))
    before = draw(st.lists(st.sampled_from(FILTERS), max_size=3, unique=True))
    parts += before
    names = draw(st.lists(st.sampled_from(SYSCALLS), min_size=1, max_size=4, unique=True))
    if draw(st.booleans()):
        parts.append("-S " + ",".join(names))
    else:
        parts += ["-S " + name for name in names]
    rest = [f for f in FILTERS if f not in before]  # the kernel refuses two exe= fields
    parts += draw(st.lists(st.sampled_from(rest), max_size=2, unique=True))
    for key in draw(st.lists(KEYS, max_size=2)):
        parts.append(draw(st.sampled_from(["-k ", "-F key="])) + key)
    return sep.join(parts)


@st.composite
def watch_rules(draw):
    path = draw(st.sampled_from(["/usr/bin/kmod", "/sbin/insmod", "/etc/", "/etc/audit/auditd.conf"]))
    perms = draw(st.sampled_from(["", " -p x", " -p wa", " -p rwxa", " -p ax"]))
    keys = "".join(" -k " + k for k in draw(st.lists(KEYS, max_size=2)))
    return "-w %s%s%s" % (path, perms, keys)


RULES = st.one_of(syscall_rules(), watch_rules())


def _resolved(text, machine):
    """(parsed rule, canonical text), or None when the rule cannot load on this machine."""
    rule = PA.parse_rule(text)
    try:
        return rule, S.canonical_text(rule, machine)
    except AuditRuleError:
        return None  # e.g. syscall 105 is fine on aarch64 but b32 128 is not everywhere


@settings(max_examples=400, deadline=None)
@given(RULES, st.sampled_from(MACHINES))
def test_render_round_trips(text, machine):
    resolved = _resolved(text, machine)
    if resolved is None:
        return
    rule, canon = resolved
    rendered = S.render(rule, machine)
    again = PA.parse_rule(rendered)
    assert S.equivalent(rule, again, machine, key_policy="exact")
    assert S.render(again, machine) == rendered
    assert S.canonical_text(again, machine) == canon


@settings(max_examples=400, deadline=None)
@given(RULES, st.sampled_from(MACHINES))
def test_canonical_form_is_idempotent(text, machine):
    resolved = _resolved(text, machine)
    if resolved is None:
        return
    _rule, canon = resolved
    assert S.canonical_text(PA.parse_rule(canon), machine) == canon


@settings(max_examples=400, deadline=None)
@given(RULES, RULES, st.sampled_from(MACHINES), st.sampled_from(S.KEY_POLICIES))
def test_equivalence_is_symmetric_and_matches_canonical_text(a, b, machine, key_policy):
    ra, rb = _resolved(a, machine), _resolved(b, machine)
    if ra is None or rb is None:
        return
    forward = S.equivalent(ra[0], rb[0], machine, key_policy)
    assert forward == S.equivalent(rb[0], ra[0], machine, key_policy)
    if key_policy == "exact":
        assert forward == (ra[1] == rb[1])


@settings(max_examples=300, deadline=None)
@given(RULES, st.sampled_from(MACHINES))
def test_a_rule_covers_itself_and_equivalents_cover_each_other(text, machine):
    resolved = _resolved(text, machine)
    if resolved is None or resolved[0].operation == "delete":
        return
    rule = resolved[0]
    again = PA.parse_rule(S.render(rule, machine))
    for match in S.MATCH_MODES:
        assert S.covers(rule, again, machine, match=match, key_policy="exact")


TOKENS = st.sampled_from(["-a", "-A", "-d", "-w", "-W", "-S", "-F", "-C", "-k", "-p", "-D", "-e", "-b", "-f",
                          "always,exit", "exit,always", "never,task", "all", "init_module", "175", "arch=b64",
                          "arch=b32", "auid>=1000", "auid!=unset", "key=x", "path=/x", "perm=x", "uid!=auid",
                          "#", "/etc", "x", "=", "!=", "&", "", "\t", "\r", "2", "0x10", "io_uring,always"])


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.lists(TOKENS, max_size=12).map(" ".join), st.text(max_size=120)), st.sampled_from(MACHINES))
def test_fuzz_never_crashes(text, machine):
    """Any input either parses or raises AuditRuleError, and so does resolving it."""
    try:
        line = PA.parse_line(text)
        if line.kind == "rule":
            S.canonical_text(line, machine)
            S.render(line, machine)
    except AuditRuleError as err:
        assert err.reason
