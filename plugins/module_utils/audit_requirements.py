# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Required rules as users give them: validation and arch resolution (private to auditkit.auditd).
Pure: no I/O.

A requirement is one rule line the host must enforce, optionally tagged with the control IDs
it comes from. Validation refuses anything that is not a single rule adding audit coverage:
control lines (``-D``, ``-e``, ``-b``, ``-f`` ...), ``never`` actions, deletions, several lines,
NUL bytes and oversized input. A syscall that exists on some architecture but not on the
target (``create_module`` on aarch64) is *not applicable* there, not an error.
"""

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError, Location
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_line

MAX_RULE_LENGTH = 4096      # auditctl's own line buffer is 8 KiB; real rules are far shorter
MAX_REQUIREMENTS = 1000
INPUT_LABEL = "rules"


class RequirementError(ValueError):
    """Invalid input: names the offending rule (its index and text) and the reason."""


class Requirement(object):
    """One validated required rule, resolved for a machine.

    text: the rule as given; rule: the parsed AuditRule; controls: control IDs it satisfies;
    effective: the AuditRule to enforce on this machine (syscalls that do not exist there
    removed), None when nothing applies; canon: its Canonical; not_applicable: reason or None;
    notes: remarks about dropped syscalls.
    """

    def __init__(self, text, rule, controls=(), machine=None):
        self.text = text
        self.rule = rule
        self.controls = tuple(controls)
        self.catalog_controls = ()  # catalog IDs when the rule comes from a profile
        self.advisory = False       # advisory hardening: reported, never a failure
        self.notes = []
        self.not_applicable = None
        self.effective = None
        self.canon = None
        if machine is not None:
            self._resolve(machine)

    def _resolve(self, machine):
        effective, dropped, reason = applicable_part(self.rule, machine)
        if reason:
            self.not_applicable = reason
            return
        if dropped:
            self.notes.append("%s: not on %s, not required there" % (", ".join(dropped), machine))
        self.effective = effective
        self.canon = S.canonical(effective, machine)

    @property
    def marker(self):
        """The comment text written above the rule (empty for plain rules)."""
        if not self.controls:
            return ""
        return ", ".join(self.controls) + (" (advisory)" if self.advisory else "")

    @property
    def is_control(self):
        return self.rule.kind == "control"

    def rendered(self, machine=None):
        """The stable line this collection writes for the requirement."""
        return S.render(self.effective if self.effective is not None else self.rule, machine)


def _known_anywhere(name):
    return any(A.syscall_exists(name, table) for table in A.TABLES)


def applicable_part(rule, machine):
    """(effective rule, [dropped syscall names], not-applicable reason or None) on ``machine``.

    Raises AuditRuleError for names no architecture knows (typos), so they are refused.
    """
    machine = A.normalize_machine(machine)
    try:
        table = S._syscall_table(rule, machine)[0]
    except AuditRuleError as exc:
        if "not supported on" in exc.reason:
            return None, [], exc.reason
        raise
    if rule.list != "exit" or rule.is_watch:
        return rule, [], None
    kept, dropped = [], []
    for token, column in rule.syscalls:
        if token == "all" or token.isdigit() or A.syscall_exists(token, table):
            kept.append((token, column))
        elif _known_anywhere(token):
            dropped.append(token)
        else:
            raise AuditRuleError("unknown syscall %s (not in any syscall table)" % token, rule.location, column)
    if dropped and not kept:
        return None, dropped, "%s does not exist on %s (%s table)" % (", ".join(dropped), machine, table)
    if not dropped:
        return rule, [], None
    return rule.replace(syscalls=kept), dropped, None


def _check_text(index, text):
    if not isinstance(text, str):
        raise RequirementError("%s[%d]: a rule must be a string, not %s" % (INPUT_LABEL, index, type(text).__name__))
    if len(text) > MAX_RULE_LENGTH:
        raise RequirementError("%s[%d]: rule is %d characters long; the limit is %d"
                               % (INPUT_LABEL, index, len(text), MAX_RULE_LENGTH))
    for char, name in (("\x00", "a NUL byte"), ("\n", "a newline"), ("\r", "a carriage return")):
        if char in text:
            raise RequirementError("%s[%d]: %r contains %s: give one rule per list item"
                                   % (INPUT_LABEL, index, text, name))


def _refusal(rule, allow_never, allow_control):
    if rule.kind == "control":
        return None if allow_control else (
            "%s is a setting, not a rule; settings are refused unless allow_control_lines is true" % rule.option)
    if rule.kind != "rule":
        return "not a rule (%s line)" % rule.kind
    if rule.operation == "delete":
        return "%s deletes a rule; give the rule to remove with state=absent instead" % rule.command
    if rule.action == "never" and not allow_never:
        return "a never rule suppresses auditing; refused unless allow_never is true"
    return None


def parse_requirements(texts, machine, controls=None, allow_never=False, allow_control=False):
    """Validate and resolve required rules; raise RequirementError naming the first bad one.

    ``controls`` optionally maps a rule's index to the control IDs it satisfies.
    """
    if len(texts) > MAX_REQUIREMENTS:
        raise RequirementError("%s: %d rules given; the limit is %d" % (INPUT_LABEL, len(texts), MAX_REQUIREMENTS))
    try:
        machine = A.normalize_machine(machine)
    except ValueError as exc:
        raise RequirementError("arch: %s" % exc)
    requirements = []
    for index, text in enumerate(texts):
        _check_text(index, text)
        location = Location(INPUT_LABEL, index + 1)
        try:
            rule = parse_line(text.strip(), location)
            reason = _refusal(rule, allow_never, allow_control)
            if reason:
                raise AuditRuleError(reason, location)
            ids = (controls or {}).get(index, ())
            requirement = Requirement(text.strip(), rule, ids, None if rule.kind == "control" else machine)
        except AuditRuleError as exc:
            where = " (column %d)" % exc.column if exc.column else ""
            raise RequirementError("%s[%d] %r%s: %s" % (INPUT_LABEL, index, text, where, exc.reason))
        requirements.append(requirement)
    return requirements
