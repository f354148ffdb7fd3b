# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does an ordered rule list audit what a requirement asks? (private to auditkit.auditd)
Pure: no I/O.

The kernel walks each filter list in order and the first matching rule decides: an
``always`` rule records the event, a ``never`` rule drops it. A ``never,task`` rule that
matches a process stops all syscall auditing for it. ``judge`` replays that per required
syscall and returns which rules cover it, which suppress it and what is left uncovered.
"""

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_fields as F
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S

WHOLE = "*"   # target of a rule on a list without syscalls (user, exclude, filesystem)
UINT32 = 4294967295


def targets(canon):
    """The set of things a requirement asks to be audited: syscall numbers, "all" or WHOLE."""
    if canon.syscalls is None:
        return set([WHOLE])
    if canon.syscalls == A.ALL_SYSCALLS:
        return set([A.ALL_SYSCALLS])
    return set(canon.syscalls)


def target_names(found, canon):
    """Readable, sorted names of targets (syscall names on the requirement's table)."""
    names = []
    for target in sorted(found, key=str):
        if isinstance(target, int) and canon.list != "io_uring":
            names.append(A.syscall_name(target, canon.table))
        else:
            names.append(str(target))
    return names


def _covered_targets(existing, required, policy):
    covered = S.covered_syscalls(existing, required, policy.match, policy.key_policy)
    if required.syscalls is None:
        return set([WHOLE]) if covered is None else set()
    if covered == A.ALL_SYSCALLS:
        return set([A.ALL_SYSCALLS])
    return set(covered or ())


# --- can a never rule match events the requirement wants? ---------------------------------------

def _arch_disjoint(never, required):
    required_eq = set(table for op, table in required.arch if op == "=")
    for op, table in never.arch:
        if op == "=" and required_eq and table not in required_eq:
            return True
        if op == "!=" and table in required_eq:
            return True
    return False


def _number(name, value):
    if not isinstance(value, int):
        return None
    if F.FIELDS[name].kind == "uid" and value == F.UNSET:
        return UINT32  # the kernel compares uids unsigned: unset is 4294967295
    return value


_INT_TESTS = {
    "=": lambda x, c: x == c, "!=": lambda x, c: x != c, "<": lambda x, c: x < c,
    ">": lambda x, c: x > c, "<=": lambda x, c: x <= c, ">=": lambda x, c: x >= c,
}


def _ints_satisfiable(constraints, unsigned32=False):
    """Can one integer meet every (op, constant)? Tests the constants and their neighbours;
    ``unsigned32``: only 0..4294967295 (uids and gids, as the kernel holds them)."""
    candidates = set([0, UINT32])
    for _op, constant in constraints:
        candidates.update(constant + delta for delta in range(-len(constraints) - 1, len(constraints) + 2))
    if unsigned32:
        candidates = set(x for x in candidates if 0 <= x <= UINT32)
    return any(all(_INT_TESTS[op](x, c) for op, c in constraints) for x in candidates)


def _texts_disjoint(constraints):
    equal = set(v for op, v in constraints if op == "=")
    unequal = set(v for op, v in constraints if op == "!=")
    return len(equal) > 1 or bool(equal & unequal)


def _perms_disjoint(constraints):
    perms = [set(v) for op, v in constraints if op == "="]
    return len(perms) == 2 and not perms[0] & perms[1]


def _field_disjoint(name, constraints):
    if any(op in ("&", "&=") for op, _v in constraints):
        return False  # bit tests: cannot prove disjointness cheaply; assume overlap
    if name == "perm":
        return _perms_disjoint(constraints)
    numbers = [(op, _number(name, v)) for op, v in constraints]
    if all(n is not None for _op, n in numbers):
        return not _ints_satisfiable(numbers, F.FIELDS[name].kind in ("uid", "gid"))
    return _texts_disjoint(constraints)


def filters_disjoint(left, right):
    """True when no event can match both filter sets (so one rule never shadows the other)."""
    by_name = {}
    for item in list(left) + list(right):
        if item[0] != "-C":
            by_name.setdefault(item[0], []).append((item[1], item[2]))
    return any(_field_disjoint(name, constraints) for name, constraints in by_name.items()
               if len(constraints) > 1)


EXEC_SYSCALLS = ("execve", "execveat")


def _exec_only(required):
    """A path/watch requirement with perm=x: its events are executions (execve, execveat)."""
    return any(item[0] == "perm" and item[1] == "=" and set(item[2]) <= set("x") for item in required.filters)


def _may_drop_exec(never):
    """Can a never rule with these syscalls drop an execve? Only a rule bound to one arch (its
    numbers then mean one table) that lists no exec syscall of that table is known not to."""
    if never.syscalls == A.ALL_SYSCALLS or not never.arch or any(op != "=" for op, _t in never.arch):
        return True
    numbers = set(A.syscall_number(n, never.table) for n in EXEC_SYSCALLS if A.syscall_exists(n, never.table))
    return bool(numbers & set(never.syscalls))


def _never_hits(never, required, remaining):
    """The remaining targets a ``never`` rule earlier in the list can drop events of."""
    if never.list != required.list or _arch_disjoint(never, required):
        return set()
    if filters_disjoint(never.filters, required.filters):
        return set()
    if never.syscalls in (A.ALL_SYSCALLS, None) or required.syscalls is None:
        return set(remaining)
    if required.syscalls == A.ALL_SYSCALLS:
        if _exec_only(required) and not _may_drop_exec(never):
            return set()  # a perm=x rule records executions; this never rule drops no execve
        return remaining & set([A.ALL_SYSCALLS])  # drops some syscalls of an "all" requirement
    if never.arch and never.table != required.table:
        return set()
    return remaining & set(never.syscalls)


def _task_suppressor(required, task_rules):
    """The ``never,task`` rule that stops auditing of processes the requirement is about."""
    if required.list != "exit":
        return None
    for loaded in task_rules:
        canon = loaded.canon
        if canon.action == "always" and canon.filters <= required.filters:
            return None  # every matching process gets an audit context before any never rule
        if canon.action == "never" and not filters_disjoint(canon.filters, required.filters):
            return loaded
    return None


class Verdict(object):
    """How one ordered rule list treats a requirement.

    evidence: [(LoadedRule, targets it covers)]; suppressed: [(LoadedRule, targets it drops)];
    missing: targets nothing covers; status: covered, partial, missing or suppressed.
    """

    def __init__(self, required):
        self.required = required
        self.evidence = []
        self.suppressed = []
        self.missing = targets(required)

    @property
    def status(self):
        if self.suppressed:
            return "suppressed"
        if not self.missing:
            return "covered"
        return "partial" if self.evidence else "missing"


def judge(required, rules, task_rules=(), policy=S.DEFAULT_POLICY, honour_never=True):
    """Walk ``rules`` (LoadedRule, kernel order) as the kernel does for ``required`` (Canonical);
    ``policy`` (S.MatchPolicy) says how closely a rule must match to cover it."""
    verdict = Verdict(required)
    suppressor = _task_suppressor(required, task_rules) if honour_never else None
    if suppressor is not None:
        verdict.suppressed.append((suppressor, set(verdict.missing)))
        verdict.missing = set()
    for loaded in rules:
        if not verdict.missing:
            break
        if loaded.canon.action == required.action:
            found = _covered_targets(loaded.canon, required, policy) & verdict.missing
            bucket = verdict.evidence
        elif honour_never and loaded.canon.action == "never":
            found = _never_hits(loaded.canon, required, verdict.missing)
            bucket = verdict.suppressed
        else:
            continue
        if found:
            bucket.append((loaded, found))
            verdict.missing -= found
    return verdict
