# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan the edits audit_rules makes (private to auditkit.auditd). Pure: no I/O.

present: write only what no rule on disk covers yet (whatever other file it is in), as
stable lines under a comment naming their controls, before the last ``-e`` line of the
destination if it has one (so a directly loaded file does not lock before them).
absent: drop the lines equivalent to the given rules. Every other byte stays as it was.
Check mode and real runs call the same functions; only the I/O layer decides to write.
"""

import os
import re

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_coverage as C
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError, Location
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_line

MARKER = "# auditkit.auditd:"
_E_LINE = re.compile(r"^\s*-e(\s|$)")


class Plan(object):
    """Planned contents per file. texts: {path: new text} for files that change;
    added/removed: [{"rule", "file", "line", "controls"}]; kept: requirements already covered."""

    def __init__(self):
        self.texts = {}
        self.added = []
        self.removed = []
        self.kept = []

    @property
    def changed(self):
        return bool(self.texts)


def chunks(text):
    """Lines with their own line endings (only \\n separates lines, as auditctl reads them)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _insert_at(lines):
    """Index before the destination's last -e line (augenrules moves it last anyway)."""
    for index in range(len(lines) - 1, -1, -1):
        if _E_LINE.match(lines[index]):
            return index
    return len(lines)


def _new_lines(additions):
    """Rendered lines grouped under one marker comment per control set."""
    out, current = [], None
    for line, marker in additions:
        if marker and marker != current:
            out.append("%s %s\n" % (MARKER, marker))
        current = marker
        out.append(line + "\n")
    return out


def _planned_rule(text, machine, snapshot, dest):
    rule = parse_line(text, Location(dest, None))
    N.apply_names([rule], snapshot.names)
    return R.LoadedRule(rule, S.canonical(rule, machine, snapshot.is_dir), rule.location)


def plan_present(requirements, snapshot, dest, dest_text, policy=S.DEFAULT_POLICY):
    """Plan adding what the files of ``snapshot`` do not cover to ``dest`` (current text or None)."""
    machine = snapshot.machine
    plan = Plan()
    rules = E.all_disk_rules(snapshot.files, machine, snapshot.is_dir)
    settings = R.simulate_load(snapshot.load_items(), machine, snapshot.is_dir, continue_on_error=True).settings
    additions = []
    for requirement in requirements:
        line = _missing_line(requirement, rules, settings, machine, policy, snapshot.paths)
        if line is None:
            plan.kept.append(requirement.text)
            continue
        additions.append((line, requirement.marker))
        plan.added.append({"rule": line, "file": dest, "controls": list(requirement.controls),
                           "requirement": requirement.text})
        if requirement.is_control:
            settings[requirement.rule.option] = (requirement.rule.value, None)
        else:
            rules.append(_planned_rule(line, machine, snapshot, dest))
    if additions:
        lines = chunks(dest_text or "")
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        at = _insert_at(lines)
        lines[at:at] = _new_lines(additions)
        plan.texts[dest] = "".join(lines)
        _number_added(plan, lines)
    return plan


def _missing_line(requirement, rules, settings, machine, policy, paths):
    if requirement.not_applicable:
        return None
    if requirement.is_control:
        current = settings.get(requirement.rule.option)
        return None if current and current[0] == requirement.rule.value else requirement.text
    verdict = C.judge(requirement.canon, rules, (), policy, honour_never=False)
    if verdict.missing and E.covered_as_same_entry(requirement.canon, rules, paths, policy):
        return None  # watched through another path to the same directory entry (merged /usr)
    return E.missing_rule(requirement, verdict, machine)


def _number_added(plan, lines):
    stripped = [line.rstrip("\n") for line in lines]
    for entry in plan.added:
        entry["line"] = stripped.index(entry["rule"]) + 1


def _matches(item, requirements, machine, key_policy, is_dir):
    if getattr(item, "kind", None) == "control":
        return any(r.is_control and (r.rule.option, r.rule.value) == (item.option, item.value) for r in requirements)
    if getattr(item, "kind", None) != "rule":
        return False
    for requirement in requirements:
        if requirement.is_control or requirement.effective is None:
            continue
        try:
            if S.equivalent(item, requirement.effective, machine, key_policy, is_dir):
                return True
        except AuditRuleError:
            return False
    return False


def plan_absent(requirements, snapshot, paths, policy=S.DEFAULT_POLICY):
    """Plan removing lines equivalent to ``requirements`` from the files named in ``paths``
    (keys compared as ``policy.key_policy`` says)."""
    plan = Plan()
    for rules_file in snapshot.files:
        if rules_file.path not in paths or not rules_file.readable:
            continue
        lines = chunks(rules_file.text)
        drop = set()
        for (location, item), _line in zip(rules_file.items, lines):
            if _matches(item, requirements, snapshot.machine, policy.key_policy, snapshot.is_dir):
                drop.add(location.line - 1)
                plan.removed.append({"rule": item.text.strip(), "file": rules_file.path, "line": location.line,
                                     "controls": []})
        if drop:
            drop.update(_orphaned_markers(lines, drop))
            plan.texts[rules_file.path] = "".join(line for index, line in enumerate(lines) if index not in drop)
    return plan


def _orphaned_markers(lines, drop):
    """Marker comments of this collection left with no rule under them after the removals."""
    orphans = set()
    for index, line in enumerate(lines):
        if not line.startswith(MARKER):
            continue
        following = index + 1
        group = []
        while following < len(lines) and lines[following].strip() and not lines[following].startswith("#"):
            group.append(following)
            following += 1
        if group and all(member in drop for member in group):
            orphans.add(index)
    return orphans


def apply_plan(snapshot, plan):
    """The snapshot as it is once ``plan`` is applied (for planning on and judging the result)."""
    files = dict((f.path, f) for f in snapshot.files)
    for path, text in plan.texts.items():
        files[path] = R.RulesFile(path, text, invalid_utf8=bool(R.UNDECODABLE.search(text)))
        N.apply_names(N.file_rules([files[path]]), snapshot.names)
    if snapshot.mode == "auditctl":
        ordered = list(files.values())
    else:
        names, _skipped = R.augenrules_order([os.path.basename(p) for p in files], snapshot.ls_version)
        ordered = [files[os.path.join(snapshot.rules_dir, name)] for name in names]
    return snapshot.replace(files=ordered, kernel=None)


def plan_of_changes(snapshot, added=(), removed=()):
    """The Plan that audit_rules reported as RV(added)/RV(removed) in check mode, rebuilt on this
    snapshot: removed lines (file, line number) dropped, added rules placed before a trailing -e
    line of their file. What audit_rules_load predicts a load against, in check mode."""
    texts = dict((f.path, f.text) for f in snapshot.files)
    drop = set((r["file"], int(r["line"])) for r in removed)
    plan = Plan()
    for path in sorted(set([r["file"] for r in removed] + [a["file"] for a in added])):
        lines = [line for number, line in enumerate(chunks(texts.get(path) or ""), 1) if (path, number) not in drop]
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        at = _insert_at(lines)
        lines[at:at] = [a["rule"] + "\n" for a in added if a["file"] == path]
        plan.texts[path] = "".join(lines)
    return plan


def suppressors(requirements, snapshot, policy=S.DEFAULT_POLICY):
    """The never rules on disk that suppress a requirement: {(file, line): LoadedRule}."""
    context = E.Context(snapshot, policy)
    found = {}
    for requirement in requirements:
        if requirement.canon is None or requirement.is_control:
            continue
        verdict = C.judge(requirement.canon, context.disk.rules(requirement.canon.list), context.disk.rules("task"),
                          policy)
        for loaded, _targets in verdict.suppressed:
            found[(loaded.source.file, loaded.source.line)] = loaded
    return found


def plan_remove_suppressors(requirements, snapshot, policy=S.DEFAULT_POLICY):
    """Plan removing the never rules that suppress requirements, wherever they are.

    A ``never,task`` rule hides the ``never,exit`` rules behind it, so this repeats until
    no requirement is suppressed any more. Removed lines keep their original numbers."""
    found = {}
    plan, current = Plan(), snapshot
    while True:
        more = suppressors(requirements, current, policy)
        if not more:
            break
        for (path, line), loaded in more.items():
            found[(path, _original_line(snapshot, path, loaded.rule.text, found))] = loaded
        plan = _removal(snapshot, found)
        current = apply_plan(snapshot, plan)
    plan.removed = [{"rule": loaded.rule.text.strip(), "file": path, "line": line, "controls": [],
                     "reason": "suppressed required rules"} for (path, line), loaded in sorted(found.items())]
    return plan


def _drop_lines(text, numbers):
    return "".join(line for index, line in enumerate(chunks(text), 1) if index not in numbers)


def _original_line(snapshot, path, text, found):
    """The line number in the original file of a line found in a partly edited copy."""
    original = next(f for f in snapshot.files if f.path == path)
    taken = set(l for p, l in found if p == path)
    for number, line in enumerate(chunks(original.text), 1):
        if line.rstrip("\n") == text and number not in taken:
            return number
    raise ValueError("line %r not found in %s" % (text, path))


def _removal(snapshot, found):
    """A plan whose texts drop the ``found`` (file, line) pairs."""
    plan = Plan()
    plan.texts = dict((f.path, _drop_lines(f.text, [line for path, line in found if path == f.path]))
                      for f in snapshot.files if any(path == f.path for path, _line in found))
    return plan


def then(first, second):
    """One plan doing ``first`` and then ``second`` (planned on the result of ``first``)."""
    plan = Plan()
    plan.texts = dict(first.texts, **second.texts)
    plan.added = first.added + second.added
    plan.removed = first.removed + second.removed
    plan.kept = second.kept
    return plan
