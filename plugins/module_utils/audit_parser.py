# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse audit rules text (rules files and ``auditctl -l`` output) into line objects
(private to auditkit.auditd). Pure: no I/O, no AnsibleModule.

Every line keeps its text and Location. A line auditctl would reject raises AuditRuleError
(file, line, column, reason); ``parse_text`` collects those per line instead of stopping.
"""

import copy

from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError, Location
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_fields as F

RULE_COMMANDS = {"-a": "append", "-A": "prepend", "-d": "delete"}
WATCH_COMMANDS = {"-w": "append", "-W": "delete"}
RULE_PARTS = ("-S", "-F", "-C", "-k", "-p")
KEY_ANCHORS = ("path", "dir", "exe", "perm", "fstype")  # fields after which auditctl accepts -k

# Control options: None = takes no value; "count" = non-negative integer; tuple = allowed values.
CONTROL_OPTIONS = {
    "-D": None, "-i": None, "-c": None, "-t": None, "-s": None, "-l": None,
    "--loginuid-immutable": None, "--reset-lost": None, "--reset_backlog_wait_time_actual": None,
    "-b": "count", "-r": "count", "--backlog_wait_time": "count",
    "-f": ("0", "1", "2"), "-e": ("0", "1", "2"), "-q": "mount_pair",
}
MAX_BACKLOG_WAIT_TIME = 600000  # 10 minutes at HZ=1000, the kernel's limit


class Line(object):
    """Base of every parsed line: its kind, text, Location and load issues.

    ``load_issues`` lists reasons an otherwise meaningful line may still fail to load with
    some auditctl versions (tabs, a Windows line ending).
    """

    kind = "line"

    def __init__(self, text, location):
        self.text = text
        self.location = location
        self.load_issues = []


class BlankLine(Line):
    kind = "blank"


class CommentLine(Line):
    kind = "comment"

    @property
    def body(self):
        return self.text.lstrip(" \t")[1:].strip()


class ControlLine(Line):
    """A setting line such as ``-b 8192`` or ``-D`` (``key`` is set for ``-D -k KEY``)."""

    kind = "control"

    def __init__(self, text, location, option, value=None, key=None):
        Line.__init__(self, text, location)
        self.option = option
        self.value = value
        self.key = key


class Field(object):
    """One ``-F name<op>value``: canonical name and value, plus the value as written."""

    __slots__ = ("name", "op", "value", "written", "column")

    def __init__(self, name, op, value, written, column=None):
        self.name = name
        self.op = op
        self.value = value
        self.written = written
        self.column = column

    def __repr__(self):
        return "Field(%s%s%r)" % (self.name, self.op, self.value)


class AuditRule(Line):
    """A syscall/filter rule (-a, -A, -d) or a file watch (-w, -W)."""

    kind = "rule"

    def __init__(self, text, location):
        Line.__init__(self, text, location)
        self.command = None      # -a -A -d -w -W
        self.list = None         # exit, task, user, exclude, filesystem, io_uring
        self.action = None       # always, never
        self.watch = None        # path of -w/-W
        self.watch_perms = None  # -p of a watch, canonical letters
        self.syscalls = []       # [(token, column)] in written order
        self.fields = []         # [Field]
        self.comparisons = []    # [(left, op, right)] from -C
        self.keys = []
        self.negated_key = False  # -F key!=K (kernel-valid, shown as key=K)
        self.canonical_cache = {}  # (machine, is_dir) -> Canonical, filled by audit_semantics
        self.from_listing = False  # read from auditctl -l, which prints some values as numbers only

    @property
    def is_watch(self):
        return self.watch is not None

    @property
    def operation(self):
        return RULE_COMMANDS.get(self.command) or WATCH_COMMANDS.get(self.command)

    def field_values(self, name):
        return [f for f in self.fields if f.name == name]

    def replace(self, **changes):
        """A shallow copy with some attributes changed (for example fewer syscalls)."""
        other = copy.copy(self)
        other.canonical_cache = {}
        for name, value in changes.items():
            setattr(other, name, value)
        return other

    def forget_canonical(self):
        """Drop cached canonical forms after changing fields (user names resolved to ids)."""
        self.canonical_cache = {}

    def __repr__(self):
        return "AuditRule(%r)" % self.text


def _tokens(text):
    """Split on spaces and tabs, returning (word, 1-based column) pairs."""
    words = []
    start = None
    for index, char in enumerate(text):
        if char in " \t":
            if start is not None:
                words.append((text[start:index], start + 1))
                start = None
        elif start is None:
            start = index
    if start is not None:
        words.append((text[start:], start + 1))
    return words


def _option_and_value(words, index, location):
    """Return (option, value, column of value, next index) for the option at ``index``."""
    word, column = words[index]
    if word.startswith("--") and "=" in word:
        option, value = word.split("=", 1)
        return option, value, column + len(option) + 1, index + 1
    takes_value = word in RULE_COMMANDS or word in WATCH_COMMANDS or word in RULE_PARTS \
        or CONTROL_OPTIONS.get(word, None) is not None
    if not takes_value:
        return word, None, None, index + 1
    if index + 1 >= len(words):
        raise AuditRuleError("option %s needs a value" % word, location, column)
    value, value_column = words[index + 1]
    return word, value, value_column, index + 2


def _load_issues(text):
    issues = []
    if "\t" in text:
        issues.append("contains a tab: auditctl 3.0 splits rules on spaces only and rejects this line")
    if text.endswith("\r"):
        issues.append("ends with a carriage return (CRLF file): auditctl keeps it in the last word")
    return issues


def parse_line(text, location=None, listing=False):
    """Parse one line; return a Line subclass or raise AuditRuleError. ``listing``: the line is
    ``auditctl -l`` output, which writes values auditctl itself refuses (filetype=32768)."""
    location = location or Location()
    if "\x00" in text:
        raise AuditRuleError("line contains a NUL byte", location, text.index("\x00") + 1)
    if "\n" in text:
        raise AuditRuleError("a rule must be a single line", location, text.index("\n") + 1)
    body = text[:-1] if text.endswith("\r") else text
    stripped = body.strip(" \t")
    if not stripped:
        line = BlankLine(text, location)
    elif stripped.startswith("#"):
        line = CommentLine(text, location)
    else:
        words = _tokens(body)
        first = words[0][0]
        if first in CONTROL_OPTIONS or (first.startswith("--") and first.split("=", 1)[0] in CONTROL_OPTIONS):
            line = _parse_control(text, words, location)
        else:
            line = _parse_rule(text, words, location, listing)
    line.load_issues = _load_issues(text)
    return line


def _control_value(option, value, column, location):
    kind = CONTROL_OPTIONS[option]
    if kind == "count":
        if not value.isdigit():
            raise AuditRuleError("%s needs a non-negative number, not %r" % (option, value), location, column)
        if option == "--backlog_wait_time" and int(value) > MAX_BACKLOG_WAIT_TIME:
            raise AuditRuleError("--backlog_wait_time must be at most %d" % MAX_BACKLOG_WAIT_TIME, location, column)
        return int(value)
    if kind == "mount_pair":
        parts = value.split(",")
        if len(parts) != 2 or not all(p.startswith("/") for p in parts):
            raise AuditRuleError("-q needs two absolute paths: mount-point,subtree", location, column)
        return value
    if value not in kind:
        raise AuditRuleError("%s takes %s, not %r" % (option, " or ".join(kind), value), location, column)
    return int(value)


def _parse_control(text, words, location):
    option, value, column, index = _option_and_value(words, 0, location)
    if CONTROL_OPTIONS[option] is not None:
        value = _control_value(option, value, column, location)
    elif value is not None:
        raise AuditRuleError("%s takes no value" % option, location, column)
    key = None
    if option == "-D" and index < len(words) and words[index][0] == "-k":
        _opt, key, _col, index = _option_and_value(words, index, location)
    if index < len(words):
        word, col = words[index]
        raise AuditRuleError("unexpected %r after %s: put each setting on its own line" % (word, option),
                             location, col)
    return ControlLine(text, location, option, value, key)


def _parse_rule(text, words, location, listing=False):
    rule = AuditRule(text, location)
    rule.from_listing = listing
    index = 0
    while index < len(words):
        word, column = words[index]
        if not word.startswith("-"):
            raise AuditRuleError(_stray_word_reason(word), location, column)
        option, value, value_column, index = _option_and_value(words, index, location)
        if option in CONTROL_OPTIONS:
            raise AuditRuleError("%s is a setting, not part of a rule: put it on its own line" % option,
                                 location, column)
        if not (option in RULE_COMMANDS or option in WATCH_COMMANDS or option in RULE_PARTS):
            raise AuditRuleError("unknown option %s" % option, location, column)
        _apply_option(rule, option, value, value_column, location)
    _check_rule(rule, location)
    return rule


def _stray_word_reason(word):
    if word.startswith("#"):
        return "comments must be on their own line (auditctl rejects a trailing %r)" % word
    return "unexpected word %r: auditctl expects only options here" % word


def _apply_option(rule, option, value, column, location):
    if option in RULE_COMMANDS or option in WATCH_COMMANDS:
        if rule.command is not None:
            raise AuditRuleError("%s given after %s: one rule per line" % (option, rule.command), location, column)
        rule.command = option
        if option in WATCH_COMMANDS:
            try:
                rule.watch = F.canonical_value("path", "=", value)
            except ValueError as exc:
                raise AuditRuleError("watch %s" % exc, location, column)
            rule.list, rule.action = "exit", "always"
        else:
            rule.list, rule.action = _list_action(value, location, column)
    elif option == "-S":
        _add_syscalls(rule, value, column, location)
    elif option == "-F":
        _add_field(rule, value, column, location)
    elif option == "-C":
        rule.comparisons.append(_comparison(value, location, column))
    elif option == "-k":
        if not (rule.syscalls or rule.is_watch or any(f.name in KEY_ANCHORS for f in rule.fields)):
            raise AuditRuleError("-k must follow -S, -w or a path, dir, exe, perm or fstype field "
                                 "(auditctl: key option needs a watch or syscall given prior to it)",
                                 location, column)
        _add_key(rule, value, column, location)
    else:
        _add_perm(rule, value, column, location)


def _list_action(value, location, column):
    parts = value.split(",")
    if len(parts) != 2:
        raise AuditRuleError("expected list,action such as always,exit, not %r" % value, location, column)
    lists = [p for p in parts if p in F.LISTS]
    actions = [p for p in parts if p in F.ACTIONS]
    if "entry" in parts:
        raise AuditRuleError("the entry list was removed from the kernel: use exit", location, column)
    if len(lists) != 1 or len(actions) != 1:
        raise AuditRuleError("bad list,action %r (lists: %s; actions: %s)"
                             % (value, ", ".join(F.LISTS), ", ".join(F.ACTIONS)), location, column)
    return lists[0], actions[0]


def _add_syscalls(rule, value, column, location):
    offset = 0
    for item in value.split(","):
        if not item:
            raise AuditRuleError("empty syscall name in %r" % value, location, column + offset)
        rule.syscalls.append((item, column + offset))
        offset += len(item) + 1


def _add_field(rule, value, column, location):
    try:
        name, op, raw = F.split_field(value)
    except ValueError as exc:
        raise AuditRuleError(str(exc), location, column)
    name = F.canonical_field_name(name)
    if name not in F.FIELDS:
        raise AuditRuleError("unknown field %r" % name, location, column)
    if name == "key":
        _add_key_field(rule, op, raw, column, location)
        return
    if name == "arch" and rule.syscalls:
        raise AuditRuleError("arch must be before -S (auditctl resolves syscalls with it)", location, column)
    if op not in F.FIELDS[name].ops:
        raise AuditRuleError("operator %s is not valid for %s (the kernel accepts %s)"
                             % (op, name, " ".join(o for o in F.OPERATORS if o in F.FIELDS[name].ops)),
                             location, column)
    try:
        canonical = F.canonical_value(name, op, raw, listing=rule.from_listing)
    except ValueError as exc:
        raise AuditRuleError(str(exc), location, column)
    rule.fields.append(Field(name, op, canonical, raw, column))


def _add_key_field(rule, op, value, column, location):
    """-F key=K is -k K. The kernel also takes key!=K alone (and shows it as key=K), but
    rejects a rule that mixes it with other keys."""
    if op not in F.EQ_OPS:
        raise AuditRuleError("key only takes = or !=", location, column)
    if op == "!=" and rule.keys:
        raise AuditRuleError("key!= cannot be combined with other keys", location, column)
    _add_key(rule, value, column, location)
    rule.negated_key = op == "!="


def _add_key(rule, value, column, location):
    if rule.negated_key:
        raise AuditRuleError("key!= cannot be combined with other keys", location, column)
    if value == "":
        return  # auditctl accepts an empty key and stores none
    try:
        rule.keys.append(F.canonical_value("key", "=", value))
    except ValueError as exc:
        raise AuditRuleError(str(exc), location, column)
    if len("\x01".join(rule.keys).encode("utf-8", "surrogateescape")) > F.MAX_KEY_LEN:
        raise AuditRuleError("keys together are longer than %d bytes" % F.MAX_KEY_LEN, location, column)


def _add_perm(rule, value, column, location):
    try:
        perms = F.canonical_value("perm", "=", value)
    except ValueError as exc:
        raise AuditRuleError(str(exc), location, column)
    if rule.watch_perms is not None or rule.field_values("perm"):
        raise AuditRuleError("permissions given twice", location, column)
    if rule.command in WATCH_COMMANDS:
        rule.watch_perms = perms
    else:
        rule.fields.append(Field("perm", "=", perms, value, column))


def _comparison(value, location, column):
    for op in ("!=", "="):
        if op in value:
            left, right = value.split(op, 1)
            break
    else:
        raise AuditRuleError("-C needs field=field or field!=field, not %r" % value, location, column)
    left, right = F.canonical_field_name(left), F.canonical_field_name(right)
    group = F.comparison_group(left)
    if group is None or group != F.comparison_group(right) or left == right:
        raise AuditRuleError("-C compares two different uid fields or two different gid fields, not %r"
                             % value, location, column)
    return (left, op, right)


def _check_rule(rule, location):
    """Whole-rule checks auditctl and the kernel make once all options are read."""
    if rule.command is None:
        raise AuditRuleError("no -a, -A, -d, -w or -W: not a rule", location, 1)
    if rule.is_watch and rule.watch_perms is None:
        written = rule.field_values("perm")  # -p given before -w
        rule.fields = [f for f in rule.fields if f.name != "perm"]
        rule.watch_perms = written[0].value if written else F.PERM_LETTERS
    if rule.is_watch and rule.syscalls:
        raise AuditRuleError("-S cannot be used with a watch (-w/-W)", location, rule.syscalls[0][1])
    if rule.syscalls and rule.list not in F.SYSCALL_LISTS:
        raise AuditRuleError("-S is only valid on the exit and io_uring lists, not %s" % rule.list,
                             location, rule.syscalls[0][1])
    for field in rule.fields:
        _check_field_list(rule, field, location)
    watched = [f for f in rule.fields if f.name in ("path", "dir")]
    if len(watched) + (1 if rule.is_watch else 0) > 1:
        raise AuditRuleError("a rule can watch only one path or dir", location, watched[-1].column)
    exes = rule.field_values("exe")
    if len(exes) > 1:
        raise AuditRuleError("a rule can filter on only one exe (the kernel: Invalid argument)", location,
                             exes[-1].column)
    if rule.comparisons and rule.list not in F.SYSCALL_LISTS:
        raise AuditRuleError("-C is only valid on the exit and io_uring lists", location, 1)


def _check_field_list(rule, field, location):
    spec = F.FIELDS[field.name]
    if spec.lists is not None and rule.list not in spec.lists:
        raise AuditRuleError("%s cannot be used on the %s list" % (field.name, rule.list), location, field.column)
    if rule.list == "exclude" and field.name not in F.EXCLUDE_OK:
        raise AuditRuleError("only msgtype, *uid, *gid, pid and subj_* fields work on the exclude list",
                             location, field.column)
    if rule.list == "filesystem" and field.name != "fstype":
        raise AuditRuleError("only fstype and key work on the filesystem list", location, field.column)


def parse_text(text, filename=None):
    """Parse a whole rules text. Returns (lines, errors): a Line per parsed line and an
    AuditRuleError per rejected line, both in file order with 1-based line numbers."""
    lines, errors = [], []
    for number, raw in enumerate(text.split("\n"), 1):
        if number > 1 and raw == "" and number == text.count("\n") + 1:
            break  # the empty string after the final newline is not a line
        try:
            lines.append(parse_line(raw, Location(filename, number)))
        except AuditRuleError as exc:
            errors.append(exc)
    return lines, errors


def parse_rule(text, location=None, listing=False):
    """Parse one line that must be a rule (-a/-A/-d/-w/-W); raise AuditRuleError otherwise."""
    line = parse_line(text, location, listing)
    if line.kind != "rule":
        raise AuditRuleError("not a rule (%s line)" % line.kind, line.location, 1)
    return line
