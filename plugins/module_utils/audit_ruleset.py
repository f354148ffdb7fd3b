# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rules files as augenrules and auditctl see them (private to auditkit.auditd). Pure: no I/O.

* ``augenrules_order`` sorts a directory listing exactly as ``ls -1v | grep '\\.rules$'`` of the
  host's coreutils (9.1 and later, or 8.x/9.0, whose version sort differs: ``ls_version``);
* ``compile_augenrules`` builds the compiled file augenrules writes to audit.rules, keeping
  for every compiled line the file and line it came from;
* ``simulate_load`` replays ``auditctl -R`` of a sequence of lines: it stops at the first line
  the kernel would reject (unless ``-c``/``-i`` came first), refuses exact duplicates
  ("Rule exists") and returns the rules each filter list holds afterwards, in kernel order.
"""

import re
from collections import namedtuple

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError, Location
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_line

RULES_SUFFIX = ".rules"
DEFAULT_RULES_DIR = "/etc/audit/rules.d"
DEFAULT_COMPILED_FILE = "/etc/audit/audit.rules"
KERNEL_LABEL = "auditctl -l"


# --- augenrules' file order: GNU filevercmp (ls -v) -------------------------------------------

def _order(char):
    if char.isdigit():
        return 0
    if char.isalpha() and ord(char) < 128:
        return ord(char)
    if char == "~":
        return -1
    return ord(char) + 256


def _verrevcmp(a, b):
    """gnulib's verrevcmp: compare non-digit runs by _order, digit runs numerically."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and j < len(b) and a[i].isdigit() and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


_SUFFIX = re.compile(r"(?:\.[A-Za-z~][A-Za-z0-9~]*)*$")


def _without_suffix(name):
    start = 1 if name.startswith(".") else 0  # a leading dot is never part of the suffix
    match = _SUFFIX.search(name, start)
    return name[:match.start()] if match else name


def _fixed_order(a, b):
    """What both ``ls -v`` versions decide before comparing versions: equal names, then "", "."
    and ".." first, then hidden names before visible ones; None when none of these decides."""
    if a == b:
        return 0
    for special in ("", ".", ".."):
        if a == special or b == special:
            return -1 if a == special else 1
    if a.startswith(".") != b.startswith("."):
        return -1 if a.startswith(".") else 1
    return None


def filevercmp(a, b):
    """Compare two file names as ``ls -v`` does (GNU coreutils 9.1 and later: gnulib's
    filevercmp since 2022)."""
    fixed = _fixed_order(a, b)
    if fixed is not None:
        return fixed
    result = _verrevcmp(_without_suffix(a), _without_suffix(b))
    if result:
        return result
    result = _verrevcmp(a, b)
    return result or (-1 if a < b else 1)


# coreutils 8.x and 9.0 (RHEL 8 and 9, AL2023, Debian 11, Ubuntu 22.04) sort with gnulib's
# filevercmp before its 2022 rewrite. It differs from the one above in two ways: its suffix stops
# at a dot not followed by a letter or "~" (so "a..rules" and "a.8.rules" have no suffix at all),
# and the suffixes are cut only when the names differ before them; names equal by
# version but not by bytes fall back to strcmp of the whole names.
LS_VERSION_SORT_REWRITE = (9, 1)


def _old_suffix_start(name):
    """gnulib's old match_suffix: where the suffix begins, or len(name) when there is none."""
    match, after_dot = None, False
    for index, char in enumerate(name):
        if after_dot:
            after_dot = False
            if not (_is_ascii_alpha(char) or char == "~"):
                match = None
        elif char == ".":
            after_dot = True
            match = index if match is None else match
        elif not (_is_ascii_alpha(char) or char.isdigit() or char == "~"):
            match = None
    return len(name) if match is None else match


def _is_ascii_alpha(char):
    return char.isalpha() and ord(char) < 128


def filevercmp_before_9_1(a, b):
    """Compare two file names as ``ls -v`` of coreutils 8.x and 9.0 does."""
    fixed = _fixed_order(a, b)
    if fixed is not None:
        return fixed
    skip = 1 if a.startswith(".") else 0
    a_rest, b_rest = a[skip:], b[skip:]
    a_prefix, b_prefix = a_rest[:_old_suffix_start(a_rest)], b_rest[:_old_suffix_start(b_rest)]
    if a_prefix == b_prefix:
        a_prefix, b_prefix = a_rest, b_rest
    result = _verrevcmp(a_prefix, b_prefix)
    return result or (-1 if a < b else 1)


def version_sort_of(ls_version):
    """The filevercmp of the coreutils ``ls`` with this (major, minor) version; None (not known)
    is the current one."""
    if ls_version is not None and tuple(ls_version[:2]) < LS_VERSION_SORT_REWRITE:
        return filevercmp_before_9_1
    return filevercmp


def _cmp_key(cmp):
    class Key(object):
        __slots__ = ("name",)

        def __init__(self, name):
            self.name = name

        def __lt__(self, other):
            return cmp(self.name, other.name) < 0
    return Key


def augenrules_order(names, ls_version=None):
    """(names augenrules concatenates, in order; [(name, reason)] for the names it skips), as
    the host's ``ls -1v`` orders them: ``ls_version`` is its coreutils (major, minor) or None."""
    loaded, skipped = [], []
    for name in names:
        if name.startswith("."):
            skipped.append((name, "hidden file: ls -1v does not list it, augenrules never reads it"))
        elif not name.endswith(RULES_SUFFIX):
            skipped.append((name, "not a *%s file: augenrules ignores it" % RULES_SUFFIX))
        else:
            loaded.append(name)
    return sorted(loaded, key=_cmp_key(version_sort_of(ls_version))), sorted(skipped)


# --- files and their lines ----------------------------------------------------------------------

# A byte that was not UTF-8 survives reading as a lone surrogate (surrogateescape, see
# audit_host.decode), so that a rewritten file keeps it; such text cannot leave a module as it
# is (audit_module.printable shows each one as \\xNN).
UNDECODABLE = re.compile(u"[\ud800-\udfff]")


def first_undecodable_line(text):
    """(1-based number, text) of the first line of ``text`` holding an undecodable byte, or
    (None, None) when every byte was UTF-8."""
    for number, line in enumerate(text.split("\n"), 1):
        if UNDECODABLE.search(line):
            return number, line
    return None, None


class RulesFile(object):
    """One rules file: its path, text and parsed lines (or why it could not be read)."""

    def __init__(self, path, text=None, problem=None, invalid_utf8=False):
        self.path = path
        self.text = text
        self.problem = problem
        self.invalid_utf8 = invalid_utf8
        self.items = parse_items(text, path) if text is not None else []

    @property
    def readable(self):
        return self.text is not None


def split_lines(text):
    """The lines of a text as augenrules/auditctl read them (no final empty line)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_items(text, filename, from_listing=False):
    """[(Location, Line or AuditRuleError)] for every line of ``text``, in order (``from_listing``:
    ``text`` is auditctl -l output)."""
    return [_parse_item(raw, Location(filename, number), from_listing)
            for number, raw in enumerate(split_lines(text), 1)]


def _parse_item(raw, location, listing=False):
    try:
        return location, parse_line(raw, location, listing)
    except AuditRuleError as exc:
        exc.text = raw  # keep the rejected line's text for reports
        return location, exc


def item_text(item):
    """The source text of a parsed item: a Line, or an AuditRuleError from parse_items."""
    return getattr(item, "text", None)


# --- augenrules: the compiled file --------------------------------------------------------------

CompiledLine = namedtuple("CompiledLine", "text source item")
CompiledLine.__doc__ = "A line of the compiled file: text, source Location (or None), parsed item."

# augenrules' awk program, line by line: which lines it drops, and which it moves (last one wins).
# mawk (Debian's default awk) has no \s: there the patterns read "s*", so indented comments and
# settings stay where they are. gawk (RHEL, Amazon Linux) treats \s as whitespace.
_AWK_PATTERNS = (("#", r"^\s*#"), ("-D", r"^\s*-D\s*$"), ("-b", r"^\s*-b"), ("-f", r"^\s*-f"), ("-e", r"^\s*-e"))
AWK_FLAVOURS = ("gawk", "mawk")


def _awk_patterns(awk):
    if awk not in AWK_FLAVOURS:
        raise ValueError("unknown awk flavour %r" % awk)
    return [(name, re.compile(pattern.replace("\\s", "s") if awk == "mawk" else pattern))
            for name, pattern in _AWK_PATTERNS]


def _raw_lines(rules_file):
    return split_lines(rules_file.text) if rules_file.readable else []


def compile_augenrules(files, source_dir=DEFAULT_RULES_DIR, awk="gawk", strip_cr=False):
    """The compiled file augenrules writes from ``files`` (RulesFile, already in order).

    Comment and empty lines are dropped; the last ``-D`` (alone), ``-b`` and ``-f`` lines move
    to the top and the last ``-e`` line to the bottom, as augenrules' awk program does.
    ``strip_cr``: the script removes a final carriage return first (audit 3.1.2 and later).
    """
    patterns = _awk_patterns(awk)
    moved = {}
    body = []
    for rules_file in files:
        for (location, item), raw in zip(rules_file.items, _raw_lines(rules_file)):
            if strip_cr and raw.endswith("\r"):
                location, item = _parse_item(raw[:-1], location)
                raw = raw[:-1]
            option = next((opt for opt, regex in patterns if regex.match(raw)), None)
            if len(raw) < 1 or option == "#":
                continue
            entry = CompiledLine(raw, location, item)
            if option:
                moved[option] = entry
            else:
                body.append(entry)
    empty = CompiledLine("", None, None)
    header = CompiledLine("## This file is automatically generated from %s" % source_dir, None, None)
    top = [moved.get(option, empty) for option in ("-D", "-b", "-f")]
    return [header] + top + body + [moved.get("-e", empty)]


def compiled_text(compiled):
    return "".join(line.text + "\n" for line in compiled)


def rule_lines(entries):
    """The stripped texts of the lines auditctl acts on (no blanks, comments or the compiled
    header): ``entries`` are CompiledLines or (Location, item) pairs. For drift checks."""
    texts = []
    for entry in entries:
        item = entry.item if isinstance(entry, CompiledLine) else entry[1]
        if item is None or getattr(item, "kind", None) in ("blank", "comment"):
            continue
        text = (item_text(item) or "").strip()
        if text:
            texts.append(text)
    return texts


# --- auditctl -R: what the kernel holds afterwards ----------------------------------------------

LoadedRule = namedtuple("LoadedRule", "rule canon source")
LoadedRule.__doc__ = "A rule the kernel holds after a load: parsed AuditRule, Canonical, source Location."


class LoadResult(object):
    """The outcome of replaying a rules sequence through ``auditctl -R``.

    lists: {list name: [LoadedRule] in kernel order}; stop: AuditRuleError of the line where
    auditctl stopped (None if it read to the end); not_loaded: Locations of the rule lines after
    the stop; rejected: every rejected line (several when -c/-i let auditctl continue);
    settings: {option: (value, Location)}, last one wins.
    """

    def __init__(self):
        self.lists = {}
        self.stop = None
        self.not_loaded = []
        self.rejected = []
        self.settings = {}

    def rules(self, list_name=None):
        if list_name is not None:
            return list(self.lists.get(list_name, []))
        return [loaded for rules in self.lists.values() for loaded in rules]

    @property
    def enabled(self):
        setting = self.settings.get("-e")
        return setting[0] if setting else None


def kernel_identity(rule, canon):
    """What the kernel compares to refuse a duplicate (audit_compare_rule): list, action,
    fields in written order, the syscall mask and the key. Field order matters to it."""
    fields = tuple((f.name, f.op, f.value) for f in rule.fields)
    if rule.is_watch:
        fields = (("watch", "=", rule.watch), ("perm", "=", rule.watch_perms)) + fields
    return (canon.list, canon.action, fields, tuple(rule.comparisons), canon.table, canon.syscalls,
            tuple(rule.keys))


def simulate_load(items, machine, is_dir=None, continue_on_error=False, host_problem=None):
    """Replay ``auditctl -R`` over [(Location, Line or AuditRuleError)] and return a LoadResult.

    ``host_problem(rule)`` may name a reason the host's kernel refuses a rule that parses
    (a watched directory that does not exist, an unknown user name)."""
    result = LoadResult()
    identities = {}
    for location, item in items:
        error = _apply_item(result, identities, location, item, machine, is_dir, host_problem)
        if error is None:
            continue
        result.rejected.append(error)
        if not (continue_on_error or _continues(result)):
            result.stop = error
            break
    if result.stop is not None:
        seen = False
        for location, item in items:
            if seen and getattr(item, "kind", "rule") in ("rule", "control"):
                result.not_loaded.append(location)
            seen = seen or location == result.stop.location
    return result


def _continues(result):
    return "-c" in result.settings or "-i" in result.settings


def _apply_item(result, identities, location, item, machine, is_dir, host_problem):
    """Apply one line to the simulated kernel; return an AuditRuleError if auditctl rejects it."""
    if isinstance(item, AuditRuleError):
        return item
    if item.load_issues:
        return AuditRuleError(item.load_issues[0], location)
    if item.kind == "control":
        return _apply_control(result, identities, item, location)
    if item.kind != "rule":
        return None
    if result.enabled == 2:
        return AuditRuleError("the rules are locked (-e 2 came earlier): auditctl cannot change them", location)
    try:
        canon = S.canonical(item, machine, is_dir)
    except AuditRuleError as exc:
        return exc
    problem = host_problem(item) if host_problem else None
    if problem:
        return AuditRuleError(problem, location)
    return _apply_rule(result, identities, LoadedRule(item, canon, location))


def _apply_control(result, identities, item, location):
    if result.enabled == 2 and item.option in ("-D", "-e", "-b", "-f", "-r", "--backlog_wait_time"):
        return AuditRuleError("the audit configuration is locked (-e 2 came earlier): the kernel refuses %s"
                              % item.option, location)
    if item.option == "-D":
        _delete_all(result, identities, item.key)
    result.settings[item.option] = (item.value, location)
    return None


def _delete_all(result, identities, key):
    for list_name, rules in result.lists.items():
        kept = [loaded for loaded in rules if key is not None and key not in loaded.rule.keys]
        result.lists[list_name] = kept
    kept_ids = set(kernel_identity(loaded.rule, loaded.canon) for loaded in result.rules())
    for identity in list(identities):
        if identity not in kept_ids:
            del identities[identity]  # every copy of an identity has the same keys


def _apply_rule(result, identities, loaded):
    """Add or delete one rule. ``identities`` maps a kernel identity to its rules in list order."""
    identity = kernel_identity(loaded.rule, loaded.canon)
    rules = result.lists.setdefault(loaded.canon.list, [])
    same = identities.setdefault(identity, [])
    if loaded.rule.operation == "delete":
        if not same:
            return AuditRuleError("no such rule to delete (auditctl: No such file or directory)", loaded.source)
        rules.remove(same.pop(0))  # the kernel deletes the first one in list order
        return None
    if same and loaded.rule.command != "-A":
        # the kernel's comparison includes the prepend flag, which it clears once a rule is in:
        # a -A line never meets its twin, a -a line meets any (measured: tests/kernel/test_kernel_differential.py)
        return AuditRuleError("same rule as %s:%s: the kernel refuses it (Rule exists)"
                              % (same[0].source.file, same[0].source.line), loaded.source)
    if loaded.rule.command == "-A":
        rules.insert(0, loaded)
        same.insert(0, loaded)
    else:
        rules.append(loaded)
        same.append(loaded)
    return None


def kernel_items(listing):
    """Parse ``auditctl -l`` output into items located as ``auditctl -l``:N."""
    if listing.strip() == "No rules":
        return []
    return parse_items(listing, KERNEL_LABEL, from_listing=True)


def listed_rules(listing):
    """The rule lines of ``auditctl -l`` output (no blank lines, no "No rules")."""
    return [line for line in split_lines(listing) if line.strip() and line.strip() != "No rules"]


def unmatched(rules, others):
    """(the LoadedRules of ``rules`` that ``others`` lacks, those of ``others`` that ``rules``
    lacks): the multiset difference of their canonical forms, both ways. Each rule matches at
    most one other; of several equal rules the first ones match. Each list keeps its order."""
    return _surplus(rules, others), _surplus(others, rules)


def _surplus(candidates, counterparts):
    """The candidates left over once each counterpart has matched one equal candidate."""
    available = {}
    for loaded in counterparts:
        available[loaded.canon] = available.get(loaded.canon, 0) + 1
    surplus = []
    for loaded in candidates:
        if available.get(loaded.canon):
            available[loaded.canon] -= 1
        else:
            surplus.append(loaded)
    return surplus
