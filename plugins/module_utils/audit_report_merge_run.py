# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_report_merge's I/O (private to auditkit.auditd): find the slices' reports (published
artifacts, report.json files or directories), merge them (audit_report_merge.py) and write the
report set with the renderers and the file writer of audit_report."""

import json
import os

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_merge as RM

OPTIONS = dict(
    dest=dict(type="path"),
    slices=dict(type="list", elements="dict"),
    paths=dict(type="list", elements="path"),
    slice_var_prefix=dict(type="str", default="auditkit_report_slice_"),
    hosts=dict(type="list", elements="str"),
    slice_count=dict(type="int"),
    formats=dict(type="list", elements="str", default=list(RD.DEFAULT_FORMATS), choices=list(RD.FORMATS)),
    title=dict(type="str"),
    mode=dict(type="raw", default="0640"),
    baseline=dict(type="raw"),
    return_baseline=dict(type="bool", default=False),
)


def read_slice(path):
    """A slice from a report.json file or a directory holding one (its own, its latest run's, or
    else searched below it)."""
    own = [os.path.join(path, name, "report.json") for name in ("", "latest")]
    candidates = [path] if os.path.isfile(path) else [c for c in own if os.path.isfile(c)][:1] or sorted(
        os.path.join(root, "report.json") for root, _dirs, files in os.walk(path) if "report.json" in files)
    if not candidates:
        return {"name": path, "report": None, "error": "no report.json in %s" % path}
    if len(candidates) > 1:
        raise ValueError("%s holds %d report.json files (%s): give one per slice"
                         % (path, len(candidates), ", ".join(candidates)))
    try:
        with open(candidates[0], "rb") as handle:
            report = json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError) as exc:
        return {"name": path, "report": None, "error": "cannot read %s: %s" % (candidates[0], exc)}
    return {"name": path, "report": report, "error": None}


def _published(name, value):
    """A slice from a published artifact: {"report": document} or {"error": message}."""
    if not isinstance(value, dict):
        raise ValueError("published slice %s is not a dictionary" % name)
    return {"name": str(value.get("slice") or name), "report": value.get("report"), "error": value.get("error")}


def gather(params, published):
    slices = [dict(s, name=str(s.get("name") or "slice %d" % (i + 1))) for i, s in enumerate(params["slices"] or [])]
    slices += [_published(name, value) for name, value in sorted(published.items())]
    slices += [read_slice(path) for path in params["paths"] or []]
    if not slices and not params["slice_count"]:
        raise ValueError("no slices: give slices, paths, or publish artifacts named %s<slice>"
                         % params["slice_var_prefix"])
    return slices


def run_merge(params, published, now, check_mode):
    """Merge, render and write; returns the audit_report_merge result."""
    from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html

    mode = RF.parse_mode(params["mode"])
    slices = gather(params, published)
    document = RM.merge_reports(slices, hosts=params["hosts"], slice_count=params["slice_count"],
                                title=params["title"], generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if params.get("baseline"):
        document = RF.with_baseline(document, params["baseline"])
    dest = params.get("dest") or RF.default_dest(now)
    paths, changed, diffs = RF.write_files(dest, RD.render_files(document, params["formats"], render_html), mode,
                                           check_mode)
    return dict(changed=changed, report_dir=dest, files=paths, summary=document["summary"], drift=RD.drift(document),
                headline=RM.slice_headline(document), slices=document["slices"],
                artifacts=dict(RD.artifacts(document, dest, paths), slices=document["slices"]), diff=diffs,
                baseline_document=RC.baseline_digest(document) if params.get("return_baseline") else None,
                **RF.comparison_fields(document))
