# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judging a load of the persisted rules into the kernel (private to auditkit.auditd). Pure: no I/O.

Before: every line ``auditctl -R`` would reject (validation_errors). During: the rules file and
line an auditctl error points at (source_of_error). After: the persisted rules the kernel does
not show (missing_in_kernel, the same multiset difference as the drift findings of evaluate).
``audit_rules_load`` runs the commands; audit_host restores the kernel when a load fails.
"""

import re

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R

ERROR_LINE = re.compile(r"There was an error in line (\d+) of (\S+)")


def validation_errors(context):
    """Every line auditctl would reject, as "file:line: reason" (empty when all load).
    ``context``: an audit_evaluate.Context of the snapshot to load."""
    errors = ["%s:%s: %s" % (error.file, error.line, error.reason) for error in context.all_rejected]
    if "-D" not in context.disk.settings and context.kernel is not None:
        loaded = set(rule.canon for rule in context.kernel.rules())
        for rule in context.disk.rules():
            if rule.canon in loaded:
                errors.append("%s:%s: already in the kernel and no -D clears it first: auditctl would stop "
                              "(Rule exists); add -D at the top of the rules" % (rule.source.file, rule.source.line))
    return errors


def unread_files(snapshot):
    """(errors, warnings) for the *.rules entries the load cannot read: a FIFO blocks
    augenrules' cat (at boot too), so it refuses the load; a directory or an unreadable file is
    skipped by augenrules with an error message, so the load goes on without it (warning)."""
    errors, warnings = [], []
    for rules_file in snapshot.files:
        if rules_file.readable:
            continue
        if (rules_file.problem or "").startswith("is a FIFO"):
            errors.append("%s %s; augenrules --load would block there (at boot too): remove it, or rename it to a name "
                          "that does not end in .rules" % (rules_file.path, rules_file.problem))
        else:
            warnings.append("%s is not loaded: %s" % (rules_file.path, rules_file.problem))
    return errors, warnings


def missing_in_kernel(context, listing):
    """The persisted rules (``context.disk``) that ``auditctl -l`` output ``listing`` does not
    show, as [{"file", "line", "text"}] in load order."""
    snapshot = context.snapshot
    kernel = R.simulate_load(R.kernel_items(listing), snapshot.machine, snapshot.is_dir, continue_on_error=True)
    missing, _not_persisted = R.unmatched(context.disk.rules(), kernel.rules())
    return [{"file": loaded.source.file, "line": loaded.source.line, "text": loaded.rule.text.strip()}
            for loaded in missing]


def source_of_error(snapshot, output):
    """Map auditctl's "error in line N of FILE" to the rules file and line it came from
    ("file:line (line N of FILE)" through the compiled file, else "FILE:N"), or None."""
    match = ERROR_LINE.search(output)
    if not match:
        return None
    number = int(match.group(1))
    if snapshot.mode == "augenrules":
        compiled = snapshot.compile()
        if 0 < number <= len(compiled) and compiled[number - 1].source is not None:
            source = compiled[number - 1].source
            return "%s:%s (line %d of %s)" % (source.file, source.line, number, match.group(2))
    return "%s:%d" % (match.group(2), number)
