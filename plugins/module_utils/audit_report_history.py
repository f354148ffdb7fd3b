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


# --- history: a report root of runs --------------------------------------------------------------
# <root>/<UTC>/ holds each run's report set, <root>/latest points to the newest run (a symlink,
# replaced atomically), <root>/history.json keeps one summary row per kept run and, per host,
# the run in which its verdicts last changed (the HTML trend reads it: no run's report.json is
# read again).

HISTORY = "history.json"


def run_name(now):
    return now.strftime("%Y%m%dT%H%M%SZ")


def _signature(host):
    """What counts as a host's change between runs: its status and each control's status."""
    return "%s %s" % (host["status"], ",".join("%s=%s" % (c["id"], c["status"]) for c in host["controls"]))


def read_history(root):
    try:
        with open(os.path.join(root, HISTORY), "rb") as handle:
            history = json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return {"runs": [], "hosts": {}}
    if not isinstance(history, dict) or not isinstance(history.get("runs"), list):
        return {"runs": [], "hosts": {}}
    return history


def next_history(history, report, run, keep):
    """The history after this run (pure): its summary row appended, the oldest rows beyond keep
    (0: all) dropped, and per host the run in which its verdicts last changed."""
    summary = report["summary"]
    row = {"run": run, "generated_at": report["generated_at"], "hosts": summary["hosts"],
           "compliant_hosts": summary["compliant_hosts"], "failing_controls": summary["controls"]["fail"],
           "host_status": summary["host_status"]}
    runs = [r for r in history.get("runs", []) if r.get("run") != run] + [row]
    if keep:
        runs = runs[-keep:]
    old_hosts = history.get("hosts") or {}
    hosts = {}
    for host in report["hosts"]:
        signature = _signature(host)
        old = old_hosts.get(host["name"])
        changed = run if old is None or old.get("signature") != signature else old.get("last_changed")
        hosts[host["name"]] = {"signature": signature, "last_changed": changed}
    return {"runs": runs, "hosts": hosts}


def with_history(report, history):
    """The report (a new document) with the trend rows and each host's last change."""
    changes = history["hosts"]
    hosts = [dict(h, last_changed=changes.get(h["name"], {}).get("last_changed")) for h in report["hosts"]]
    return dict(report, hosts=hosts, history={"runs": history["runs"]})


def _point_latest(root, run):
    """root/latest -> run, replaced atomically (a new symlink renamed over the old one)."""
    temp = os.path.join(root, ".latest.%d" % os.getpid())
    if os.path.lexists(temp):
        os.unlink(temp)
    os.symlink(run, temp)
    os.rename(temp, os.path.join(root, LATEST))


def _inside(path, directory):
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory + os.sep)


def prune(root, keep, protected):
    """Remove the oldest run directories beyond keep (0: none); never a protected path's run
    (the baseline in use, this run). Returns the removed directories."""
    import shutil

    runs = _runs(root)
    if not keep or len(runs) <= keep:
        return []
    removed = []
    for run in runs[:len(runs) - keep]:
        if any(p and _inside(p, run) for p in protected):
            continue
        shutil.rmtree(run)
        removed.append(run)
    return removed


def finish_run(root, run, history_text, keep, protected):
    """After the run's files are in place: history.json, the latest pointer, then pruning."""
    temp = os.path.join(root, ".%s.%d" % (HISTORY, os.getpid()))
    with open(temp, "wb") as handle:
        handle.write(history_text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temp, os.path.join(root, HISTORY))
    _point_latest(root, run)
    return prune(root, keep, protected)
