# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing the report files (private to auditkit.auditd): atomically, with a given mode, and
saying truthfully what changed (content or mode), with a before/after diff per file."""

import hashlib
import json
import os
import stat
import tempfile


def _state(path):
    """(sha1 of the content, mode as '0640') of an existing file, or (None, None)."""
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha1(handle.read()).hexdigest()
        return digest, "%04o" % stat.S_IMODE(os.stat(path).st_mode)
    except (IOError, OSError):
        return None, None


def _write_temp(path, data, mode):
    """data into a temporary file beside path (not yet durable, not yet in place)."""
    directory = os.path.dirname(path) or "."
    handle, temp = tempfile.mkstemp(prefix=".auditkit-report-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, mode)
    except BaseException:
        os.unlink(temp)
        raise
    return temp


def _syncfs(path):
    """Flush the file system holding path in one call (Linux syncfs); False where unavailable."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
    except (OSError, AttributeError):
        return False
    try:
        return getattr(libc, "syncfs", None) is not None and libc.syncfs(fd) == 0
    finally:
        os.close(fd)


def _make_durable(dest, temps):
    """Every temporary file on disk before any rename: one syncfs for a report of thousands of
    per-host files (a fsync per file took most of the report step), else a fsync per file."""
    if len(temps) > 1 and _syncfs(dest):
        return
    for temp in temps:
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _discard(temps):
    for temp, _path in temps:
        if os.path.exists(temp):
            os.unlink(temp)


def write_files(dest, files, mode=0o640, check_mode=False):
    """Write {file name: text} into dest (files may render each text when it is read, as
    audit_report_document.render_files does: one file's text in memory at a time). All files
    are written and made durable first, then renamed into place; when a write fails, no file
    has been replaced. Returns (paths, changed, diffs); in check mode nothing is written and
    changed says what would change."""
    paths, diffs, temps = [], [], []
    if not check_mode and not os.path.isdir(dest):
        os.makedirs(dest, 0o750)
    wanted_mode = "%04o" % mode
    try:
        for name in sorted(files):
            path = os.path.join(dest, name)
            data = files[name].encode("utf-8")
            digest, old_mode = _state(path)
            new_digest = hashlib.sha1(data).hexdigest()
            paths.append(path)
            if digest == new_digest and old_mode == wanted_mode:
                continue
            diffs.append({"before_header": path, "after_header": path,
                          "before": {"path": path, "state": "file" if digest else "absent", "mode": old_mode,
                                     "sha1": digest},
                          "after": {"path": path, "state": "file", "mode": wanted_mode, "sha1": new_digest}})
            if not check_mode:
                if digest == new_digest:
                    os.chmod(path, mode)
                else:
                    temps.append((_write_temp(path, data, mode), path))
        if temps:
            _make_durable(dest, [temp for temp, _path in temps])
    except BaseException:
        _discard(temps)
        raise
    for temp, path in temps:
        os.rename(temp, path)
    return paths, bool(diffs), diffs


# The options of audit_report (module and action plugin), with their defaults.
OPTIONS = dict(
    dest=dict(type="path"),
    results=dict(type="dict"),
    result_var=dict(type="str", default="auditkit_info"),
    plans=dict(type="dict"),
    plan_var=dict(type="str"),
    rules_file_var=dict(type="str", default="auditkit_rules_file"),
    probe_var=dict(type="str", default="auditkit_probe_result"),
    hosts=dict(type="list", elements="str"),
    waivers=dict(type="dict", default={}),
    waivers_var=dict(type="str", default="auditkit_waivers"),
    formats=dict(type="list", elements="str", default=["json", "markdown", "html", "junit", "csv", "cklb", "xccdf", "hdf"],
                 choices=["json", "markdown", "html", "junit", "csv", "cklb", "ckl", "xccdf", "hdf"]),
    title=dict(type="str"),
    kind=dict(type="str", choices=["drift_report", "remediate_check", "remediation"], default="drift_report"),
    load_var=dict(type="str", default="auditkit_load_result"),
    mode=dict(type="raw", default="0640"),
    return_report=dict(type="bool", default=False),
    baseline=dict(type="raw"),
    return_baseline=dict(type="bool", default=False),
    history=dict(type="bool", default=False),
    keep=dict(type="int", default=0),
)


def parse_mode(value):
    """'0640', '640', 0o640 or 416 -> 0o640; raises ValueError."""
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        text = str(value).strip()
        if not text or any(c not in "01234567" for c in text):
            raise ValueError("mode %r is not an octal file mode such as '0640'" % (value,))
        mode = int(text, 8)
    if mode < 0 or mode > 0o777:
        raise ValueError("mode %r is not a file mode between 0000 and 0777" % (value,))
    return mode


def default_dest(now):
    return os.path.join(".", "auditkit-reports", now.strftime("%Y%m%dT%H%M%SZ"))


def history_dirs(params, now):
    """(the report root or None, this run's directory): with history, dest is the root of runs and
    the run is <dest>/<UTC>; without dest, runs go to ./auditkit-reports/<UTC> (a root too)."""
    if params.get("keep") and params["keep"] < 0:
        raise ValueError("keep must be 0 (keep every run) or a positive number of runs, not %d" % params["keep"])
    if not params.get("dest"):
        dest = default_dest(now)
        return os.path.dirname(dest), dest
    if params.get("history"):
        return params["dest"], os.path.join(params["dest"], now.strftime("%Y%m%dT%H%M%SZ"))
    return None, params["dest"]


def _mode_change(diff):
    """' (mode 0600 -> 0640)' when only the mode of an existing report file changed, else ''."""
    before, after = diff["before"]["mode"], diff["after"]["mode"]
    return " (mode %s -> %s)" % (before, after) if before not in (None, after) else ""


def diff_summary(diffs, dest):
    """The report files' diffs as one line for --diff (Ansible prints a 'prepared' diff as it is):
    the metadata of each file (sha1, mode) would bury the rule diffs of the hosts."""
    if not diffs:
        return {}
    names = [os.path.basename(d["after"]["path"]) + _mode_change(d) for d in diffs]
    new = len([d for d in diffs if d["before"]["state"] == "absent"])
    return {"prepared": "auditkit report in %s: %d file%s written (%d new): %s\n"
                        % (dest, len(names), "" if len(names) == 1 else "s", new, ", ".join(names))}


def outcome(write, what, dest, diff_mode):
    """Run a report writer (a call returning the result) for a module or an action plugin:
    (result, None), or (None, the failure message) for bad input or a file that cannot be
    written. The diff stays only in diff mode."""
    try:
        result = write()
    except ValueError as exc:
        return None, str(exc)
    except (IOError, OSError) as exc:
        return None, "cannot write the %s to %s: %s" % (what, dest, exc)
    if not diff_mode:
        result.pop("diff")
    return result, None


def with_baseline(report, baseline):
    """The report compared with a baseline: a path (report.json or a directory of it), or a
    published report document or digest (ValueError when unreadable)."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_history as RH

    if isinstance(baseline, dict):
        where = "the published baseline report of %s" % baseline.get("generated_at")
        return RC.compare_reports(report, baseline, where)
    if not isinstance(baseline, str):
        raise ValueError("baseline must be a path (report.json or a report directory) or a report document, not %s"
                         % type(baseline).__name__)
    document, where = RH.read_report(os.path.expanduser(baseline))
    return RC.compare_reports(report, document, where)


def comparison_fields(report, max_listed=50):
    """The result's transitions, regressions (bounded) and headline suffix of a compared report."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC

    regressed = RC.regressions(report)
    fields = dict(regressions=len(regressed), regressed=["%s %s" % pair for pair in regressed[:max_listed]],
                  transitions=report.get("transitions"), baseline=(report.get("baseline") or {}).get("path"))
    fields["since_baseline"] = RC.summary_text(report)
    return fields


def run_report(params, results, plans, hosts, rules_files, now, check_mode, probes=None, host_waivers=None,
               loads=None, targets=None, inventory_profiles=None, reboots=None):
    """Build, render and write the report; returns the audit_report result (or raises
    ValueError for bad input, OSError when a file cannot be written)."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
    from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html

    mode = parse_mode(params["mode"])
    # a result that is not a module result is that host's error row (build_report checks each)
    root, dest = history_dirs(params, now)
    report = RD.build_report(results, hosts=hosts, plans=plans, waivers=params["waivers"], title=params["title"],
                             generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"), kind=params["kind"],
                             rules_files=rules_files, probes=probes, host_waivers=host_waivers, targets=targets,
                             inventory_profiles=inventory_profiles)
    if params["kind"] == "remediation":  # what the real run did, beside the verdicts judged after it
        from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_remediation as RR

        report = RR.with_reboots(RR.with_remediation(report, plans or {}, loads or {}), reboots or {})
    baseline_file = None
    if params.get("baseline"):
        report = with_baseline(report, params["baseline"])
        baseline_file = report["baseline"]["path"]
    history = None
    if root:
        from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_history as RH

        history = RH.next_history(RH.read_history(root), report, os.path.basename(dest), params.get("keep") or 0)
        report = RH.with_history(report, history)
    paths, changed, diffs = write_files(dest, RD.render_files(report, params["formats"], render_html), mode, check_mode)
    pruned = []
    if root and not check_mode:
        pruned = RH.finish_run(root, os.path.basename(dest), json.dumps(history, sort_keys=True), params.get("keep") or 0,
                               [baseline_file, dest])
    result = dict(changed=changed, report_dir=dest, files=paths, summary=report["summary"], drift=RD.drift(report),
                  headline=RD.headline(report), artifacts=RD.artifacts(report, dest, paths), diff=diffs)
    result.update(comparison_fields(report))
    if root:
        result.update(report_root=root, latest=os.path.join(root, "latest"), pruned=pruned)
    if params.get("return_baseline"):
        from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC

        result["baseline_document"] = RC.baseline_digest(report)
    if params.get("return_report"):
        result["report"] = report
    return result
