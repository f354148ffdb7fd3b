# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a parsed rule means on a machine: canonical form, equivalence, coverage and
rendering (private to auditkit.auditd). Pure: no I/O, no AnsibleModule.

The canonical form is what the kernel stores: list and action, the syscall table the rule
filters on, the set of syscall numbers (or "all"), the set of (field, operator, value)
filters and the set of keys. Two rules with the same canonical form are the same rule to
the kernel, however they were spelled.
"""

from collections import namedtuple

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_fields as F
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError

MATCH_MODES = ("strict", "coverage")
KEY_POLICIES = ("any", "exact")


class MatchPolicy(namedtuple("MatchPolicy", "match key_policy")):
    """How closely a rule must match a requirement to cover it (the module options of the same
    names). match: "strict" (the same arch and filters) or "coverage" (a subset of them: broader
    rules cover); key_policy: "any" (keys ignored) or "exact" (the required key must be among
    the rule's). The defaults live here only."""

    __slots__ = ()

    def __new__(cls, match="strict", key_policy="any"):
        if match not in MATCH_MODES:
            raise ValueError("match must be one of %s, not %r" % (", ".join(MATCH_MODES), match))
        if key_policy not in KEY_POLICIES:
            raise ValueError("key_policy must be one of %s, not %r" % (", ".join(KEY_POLICIES), key_policy))
        return super(MatchPolicy, cls).__new__(cls, match, key_policy)


DEFAULT_POLICY = MatchPolicy()

Canonical = namedtuple("Canonical", "list action arch table syscalls filters keys")
Canonical.__doc__ = """Machine-resolved meaning of a rule.

arch: frozenset of (op, table) from arch= fields (empty: the rule does not filter on arch);
table: the syscall table its -S numbers were resolved with; syscalls: frozenset of numbers,
A.ALL_SYSCALLS, or None on lists without syscalls; filters: frozenset of (name, op, value)
and ("-C", (left, right), op) tuples; keys: frozenset of key strings."""


def _syscall_table(rule, machine):
    """The table the rule's -S items resolve with, and the frozenset of arch filters."""
    arch = set()
    table = None
    for field in rule.field_values("arch"):
        try:
            resolved = A.resolve_arch(field.value, machine)
        except ValueError as exc:
            raise AuditRuleError(str(exc), rule.location, field.column)
        arch.add((field.op, resolved))
        if field.op == "=" and table is None:
            table = resolved
    return table or A.native_table(machine), frozenset(arch)


def _syscalls(rule, table):
    if rule.list not in F.SYSCALL_LISTS:
        return None
    tokens = [token for token, _col in rule.syscalls]
    if rule.is_watch or not tokens or "all" in tokens:
        return A.ALL_SYSCALLS
    if rule.list == "io_uring":
        return frozenset(tokens)  # io_uring operation names: no table shipped, compared by name
    numbers = set()
    for token, column in rule.syscalls:
        try:
            numbers.add(A.syscall_number(token, table))
        except ValueError as exc:
            raise AuditRuleError(str(exc), rule.location, column)
    return frozenset(numbers)


def _filters(rule, is_dir):
    filters = set()
    if rule.is_watch:
        kind = "dir" if (is_dir(rule.watch) if is_dir else False) else "path"
        filters.add((kind, "=", rule.watch))
        filters.add(("perm", "=", rule.watch_perms))
    for field in rule.fields:
        if field.name != "arch":
            filters.add((field.name, field.op, field.value))
    for left, op, right in rule.comparisons:
        filters.add(("-C", tuple(sorted((left, right))), op))
    return frozenset(filters)


def canonical(rule, machine, is_dir=None):
    """Resolve a parsed AuditRule on ``machine``; raise AuditRuleError if it cannot load there.

    ``is_dir(path)`` tells whether a watched path is a directory on the host (auditctl
    decides -w between a file and a directory watch with stat()); without it, a file watch.
    The result is cached on the rule (rule.forget_canonical() after changing its fields).
    """
    key = (machine, bool(is_dir(rule.watch)) if rule.is_watch and is_dir else False)
    cached = rule.canonical_cache.get(key)
    if cached is not None:
        return cached
    try:
        resolved = A.normalize_machine(machine)
    except ValueError as exc:
        raise AuditRuleError(str(exc), rule.location)
    table, arch = _syscall_table(rule, resolved)
    canon = Canonical(rule.list, rule.action, arch, table, _syscalls(rule, table),
                      _filters(rule, lambda _path: key[1]), frozenset(rule.keys))
    rule.canonical_cache[key] = canon
    return canon


def _without_keys(canon):
    return canon._replace(keys=frozenset())


def equivalent(a, b, machine, key_policy="exact", is_dir=None):
    """True when two parsed rules mean the same to the kernel (keys compared per policy)."""
    ca, cb = canonical(a, machine, is_dir), canonical(b, machine, is_dir)
    if key_policy == "any":
        ca, cb = _without_keys(ca), _without_keys(cb)
    return _same_syscalls(ca, cb) and ca._replace(syscalls=None, table=None) == cb._replace(syscalls=None, table=None)


def _same_syscalls(ca, cb):
    if ca.syscalls == A.ALL_SYSCALLS or cb.syscalls == A.ALL_SYSCALLS or ca.syscalls is None:
        return ca.syscalls == cb.syscalls
    return ca.table == cb.table and ca.syscalls == cb.syscalls


def covered_syscalls(existing, required, match=DEFAULT_POLICY.match, key_policy=DEFAULT_POLICY.key_policy):
    """The part of ``required.syscalls`` that the canonical rule ``existing`` audits.

    Both arguments are Canonical. Returns a frozenset of syscall numbers (empty when the
    rules differ in list, action, arch, filters or keys), or A.ALL_SYSCALLS / None mirroring
    ``required.syscalls`` when it is "all" or not a syscall rule and is wholly covered.
    Coverage mode accepts broader rules (each filter implied by the requirement's, see
    implied(); no arch filter); a rule with any other filter is narrower and never covers.
    """
    if (existing.list, existing.action) != (required.list, required.action):
        return frozenset()
    if key_policy == "exact" and not required.keys <= existing.keys:
        return frozenset()
    if match == "strict":
        if existing.arch != required.arch or existing.filters != required.filters:
            return frozenset()
    elif not (existing.arch <= required.arch and all(implied(item, required.filters) for item in existing.filters)):
        return frozenset()
    return _covered(existing, required)


ID_FIELDS = frozenset(F.UID_FIELDS + F.GID_FIELDS)
RANGE_OPS = frozenset(("=", "!=", "<", ">", "<=", ">="))


def _holds(value, op, bound):
    return {"=": value == bound, "!=": value != bound, "<": value < bound, ">": value > bound,
            "<=": value <= bound, ">=": value >= bound}[op]


def _id_bound_implied(op, bound, required_op, value):
    """Does every id admitted by (required_op, value) satisfy (op, bound)? Unsigned, as the kernel."""
    if required_op == "=":
        return _holds(value, op, bound)
    if required_op in (">=", ">"):
        low = value if required_op == ">=" else value + 1
        return (op == ">=" and low >= bound) or (op == ">" and low > bound) or (op == "!=" and bound < low)
    if required_op in ("<=", "<"):
        high = value if required_op == "<=" else value - 1
        return (op == "<=" and high <= bound) or (op == "<" and high < bound) or (op == "!=" and bound > high)
    return False


def implied(item, required_filters):
    """Is the filter ``item`` of an existing rule true of every event the required filters admit?
    (coverage mode: the existing rule is then at least as broad on that filter). The same filter;
    a wider bound on a uid/gid field (``auid>=500`` given ``auid>=1000``, compared unsigned, so
    ``unset`` is the largest id); ``perm=`` with more letters (any of them matches). Measured by
    tests/kernel/test_event_proof.py: such rules record every required event."""
    if item in required_filters:
        return True
    name, op, bound = item
    if name == "perm" and op == "=":
        return any(r[0] == "perm" and r[1] == "=" and set(r[2]) <= set(bound) for r in required_filters)
    if name not in ID_FIELDS or op not in RANGE_OPS or not isinstance(bound, int):
        return False
    for other in required_filters:
        if other[0] == name and other[1] in RANGE_OPS and isinstance(other[2], int):
            if _id_bound_implied(op, bound & 0xFFFFFFFF, other[1], other[2] & 0xFFFFFFFF):
                return True
    return False


def _covered(existing, required):
    if required.syscalls is None or existing.syscalls == A.ALL_SYSCALLS:
        return required.syscalls
    if required.syscalls == A.ALL_SYSCALLS or existing.table != required.table:
        return frozenset()
    return required.syscalls & existing.syscalls


def covers(existing, required, machine, match=DEFAULT_POLICY.match, key_policy=DEFAULT_POLICY.key_policy,
           is_dir=None):
    """True when parsed rule ``existing`` audits everything parsed rule ``required`` asks for."""
    if existing.operation == "delete" or required.operation == "delete":
        return False
    ce, cr = canonical(existing, machine, is_dir), canonical(required, machine, is_dir)
    return covered_syscalls(ce, cr, match, key_policy) == cr.syscalls


def _render_fields(rule):
    parts = []
    for field in rule.fields:
        if field.name != "arch":
            parts.append("-F %s%s%s" % (field.name, field.op, F.render_value(field.name, field.value, field.written)))
    for left, op, right in rule.comparisons:
        parts.append("-C %s%s%s" % (left, op, right))
    return parts


def render(rule, machine=None):
    """A stable, human-readable rules-file line for a parsed rule.

    Keeps the author's field order, puts arch first and keys last, writes ``always,exit``,
    one comma-joined -S, ``-k`` for keys and canonical values (``unset``, ``-EPERM``).
    With ``machine``, syscall numbers are written as names.
    """
    keys = ["-k %s" % key for key in rule.keys]
    if rule.is_watch:
        head = ["%s %s" % (rule.command, rule.watch), "-p %s" % rule.watch_perms]
        return " ".join(head + _render_fields(rule) + keys)
    head = ["%s %s,%s" % (rule.command, rule.action, rule.list)]
    arch_fields = rule.field_values("arch")
    head += ["-F arch%s%s" % (f.op, f.written.lower()) for f in arch_fields]
    names = _syscall_names(rule, machine)
    if names:
        head.append("-S %s" % ",".join(names))
    return " ".join(head + _render_fields(rule) + keys)


def _syscall_names(rule, machine):
    names = []
    table = None
    if machine is not None and rule.list == "exit":
        table = _syscall_table(rule, machine)[0]
    for token, _column in rule.syscalls:
        name = token
        if table is not None and token.isdigit():
            name = A.syscall_name(int(token), table)
        if name not in names:
            names.append(name)
    return ["all"] if "all" in names else names


def canonical_text(rule, machine, is_dir=None, keys=True):
    """One normalised line per meaning: equal for equivalent rules, parseable, idempotent."""
    canon = canonical(rule, machine, is_dir)
    parts = ["-a %s,%s" % (canon.action, canon.list)]
    for op, table in sorted(canon.arch):
        parts.append("-F arch%s%s" % (op, A.arch_bits(table, machine)))
    if canon.syscalls == A.ALL_SYSCALLS:
        parts.append("-S all")
    elif canon.syscalls is not None and canon.list == "io_uring":
        parts.append("-S %s" % ",".join(sorted(canon.syscalls)))
    elif canon.syscalls:
        parts.append("-S %s" % ",".join(A.syscall_name(n, canon.table) for n in sorted(canon.syscalls)))
    for item in sorted(canon.filters, key=repr):
        if item[0] == "-C":
            parts.append("-C %s%s%s" % (item[1][0], item[2], item[1][1]))
        else:
            parts.append("-F %s%s%s" % (item[0], item[1], F.render_value(item[0], item[2])))
    if keys:
        parts.extend("-k %s" % key for key in sorted(canon.keys))
    return " ".join(parts)
