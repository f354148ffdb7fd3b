# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a baseline report from disk (private to auditkit.auditd): a report.json file, a run's
report directory, or a report root of runs (its ``latest`` run, else its newest run)."""

import json
import os

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC

LATEST = "latest"  # the pointer (symlink) to the newest run in a report root


def _runs(root):
    """The run directories of a report root (each holding report.json), oldest first by name
    (run directories are named by their UTC time)."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    return [os.path.join(root, n) for n in names
            if n != LATEST and not n.startswith(".") and os.path.isfile(os.path.join(root, n, "report.json"))]


def report_file(path):
    """The report.json a baseline path names; ValueError naming what is wrong."""
    if os.path.isfile(path):
        return path
    if not os.path.isdir(path):
        raise ValueError("baseline %s does not exist (give a report.json or a report directory)" % path)
    for candidate in (os.path.join(path, "report.json"), os.path.join(path, LATEST, "report.json")):
        if os.path.isfile(candidate):
            return candidate
    runs = _runs(path)
    if not runs:
        raise ValueError("baseline %s holds no report.json, no %s run and no run directory with one" % (path, LATEST))
    return os.path.join(runs[-1], "report.json")


def read_report(path):
    """(the report document, the report.json it came from), checked as a baseline."""
    where = report_file(path)
    try:
        with open(where, "rb") as handle:
            document = json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError) as exc:
        raise ValueError("cannot read the baseline %s: %s" % (where, exc))
    RC.check_baseline(document, "baseline %s" % where)
    return document, where
