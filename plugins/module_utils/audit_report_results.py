# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scanner-result formats of the report (private to auditkit.auditd). Pure: no I/O.

Per host, from the report document (audit_report_document.build_report):
- ``render_xccdf``: an XCCDF 1.2 Benchmark carrying DISA's identity of the host's STIG (its
  Groups and Rules, DISA's IDs) and one TestResult with a rule-result per rule; what
  ``oscap xccdf validate`` accepts, ``oscap xccdf generate report`` renders and STIG Manager
  imports (reviewsFromXccdf). STIG hosts only: a CIS profile has no DISA identity to claim.
- ``render_hdf``: MITRE's Heimdall Data Format (the JSON of ``inspec exec``): one profile (the
  host's benchmark) whose controls carry CCI and NIST SP 800-53 tags (DISA's CCI list), the
  host's results and waivers as waiver_data.

Status maps (docs/reports.md says why):
  ours            XCCDF          HDF result (Heimdall shows)
  pass            pass           passed (Passed)
  fail            fail           failed (Failed)
  waived          fail + waiver  failed + waiver_data, run, not skipped (Failed, waiver shown)
  not_applicable  notapplicable  skipped, impact 0 (Not Applicable)
  (pass, fixed by the remediate run of a remediation record: fixed / passed)
  error           error          error (Profile Error)
  unreachable     notchecked     skipped (Not Reviewed)
"""

import functools
import json
import re

from xml.sax.saxutils import escape, quoteattr

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_control_texts import CCI_NIST
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import PROFILES
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_host_facts import host_facts
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_document import (
    probe_text, safe_name, xml_text)

XCCDF_RESULT = {"pass": "pass", "fail": "fail", "waived": "fail", "not_applicable": "notapplicable",
                "error": "error", "unreachable": "notchecked"}
HDF_RESULT = {"pass": "passed", "fail": "failed", "waived": "failed", "not_applicable": "skipped",
              "error": "error", "unreachable": "skipped"}
HDF_IMPACT = {"low": 0.3, "medium": 0.5, "high": 0.7}
DISA_PREFIX = "xccdf_mil.disa.stig_"
TEST_SYSTEM = "cpe:/a:auditkit:auditkit.auditd"
NAMESPACE = "https://github.com/auditkit/auditd/xccdf-results"  # check-content detail/comment
CCI_SYSTEM = "http://cyber.mil/cci"  # the ident system DISA's XCCDF files use for CCIs
CHECK_SYSTEM = "https://github.com/auditkit/auditd"
VERSION = "0.1.0"  # the collection's (galaxy.yml; a unit test keeps them equal)
HDF_VERSION = "5.22.3"  # the InSpec exec JSON this follows (Heimdall reads it as the tool version)


def _text(value):
    return escape(xml_text(value))


def _attr(value):
    return quoteattr(xml_text(value))


def stig_controls(report, host):
    """(benchmark identity, [(DISA rule fields, control row)]) of the host's STIG, or (None, []).

    The STIG is the host's profile's; a host without a profile (not judged) takes the one of
    its listed controls. Controls of other benchmarks (not_applicable on this host) are left out."""
    metas = dict((m["catalog_id"], m) for m in report["controls"])
    profile = PROFILES.get((host.get("profile") or {}).get("name") or "") or {}
    wanted = (profile.get("benchmark") or {}).get("benchmark_id")
    pairs = [((metas.get(c["catalog_id"]) or {}).get("disa"), c) for c in host["controls"]]
    pairs = [(disa, c) for disa, c in pairs if disa]
    if not pairs:
        return None, []
    benchmark = wanted and [d["benchmark"] for d, _c in pairs if d["benchmark"]["benchmark_id"] == wanted]
    identity = benchmark[0] if benchmark else pairs[0][0]["benchmark"]
    return identity, [(d, c) for d, c in pairs if d["benchmark"]["benchmark_id"] == identity["benchmark_id"]]


def evidence_text(host, control):
    """What the verdict rests on, as lines: the reason, evidence that exists now, what is missing."""
    lines = ["auditkit.auditd %s: %s" % (control["status"], host["error"] or control["reason"])]
    if control.get("waiver"):
        lines.append("Waived: %s" % control["waiver"])
    lines += ["Evidence (%s) %s:%s: %s" % (e["where"], e["file"], e["line"], e["text"]) for e in control["evidence"]]
    lines += ["Missing: %s" % line for line in control["missing"]]
    lines += ["Advisory %s: %s" % (a["status"], a["rule"]) for a in control.get("advisory", [])]
    if control.get("probe"):
        lines.append("Probe (audit records of the fired action): %s" % probe_text(control))
    lines += ["Host fact: %s" % fact for fact in host_facts(host)]
    since = RC.transition_text(control)
    if since:  # a report compared with a baseline (auditkit_report_baseline)
        lines.append("Since the baseline: %s" % since)
        lines += ["  %s" % line for line in RC.rule_change_lines(control)]
    done = control.get("remediation")
    if done:
        lines.append("Remediated (this run): before %s, after %s" % (done["before"], done["after"]))
        lines += ["  %s %s: %s" % (line["action"], line["file"], line["line"]) for line in done["lines"]]
    return "\n".join(lines)


def _target(host):
    """{ip, fqdn, mac} of the host from its facts when the play gathered them (the report entry's
    checklist target), else empty strings."""
    target = host.get("target") or {}
    return {"ip": target.get("ip_address") or "", "fqdn": target.get("fqdn") or "", "mac": target.get("mac_address") or ""}


# --- XCCDF 1.2 ----------------------------------------------------------------------------------

def _xccdf_rule(disa):
    rule = disa["rule_id"]
    ccis = "".join("\n      <ident system=%s>%s</ident>" % (_attr(CCI_SYSTEM), _text(c)) for c in disa["ccis"])
    return ("  <Group id=%s>\n    <title>%s</title>\n    <description>%s</description>\n"
            "    <Rule id=%s weight=%s severity=%s>\n      <version>%s</version>\n      <title>%s</title>\n"
            "      <description>%s</description>%s\n      <fixtext fixref=%s>%s</fixtext>\n"
            "      <fix id=%s/>\n      <check system=%s>\n        <check-content>%s</check-content>\n"
            "      </check>\n    </Rule>\n  </Group>\n"
            % (_attr(DISA_PREFIX + "group_" + disa["group_id"]), _text(disa["group_title"]),
               _text(disa["group_description"]), _attr(DISA_PREFIX + "rule_" + rule), _attr(disa["weight"]),
               _attr(disa["severity"]), _text(disa["rule_version"]), _text(disa["rule_title"]),
               _text(disa["discussion"]), ccis, _attr(disa["fix_id"]), _text(disa["fix_text"]),
               _attr(disa["fix_id"]), _attr(CHECK_SYSTEM), _text(disa["check_content"])))


def xccdf_result(control):
    """The XCCDF result of a control row: fixed for a failure a real remediate run fixed (the
    remediation record's before and after), else the status map."""
    if control["status"] == "pass" and (control.get("remediation") or {}).get("before") == "fail":
        return "fixed"
    return XCCDF_RESULT[control["status"]]


def _rule_result(disa, control, host, time):
    detail = evidence_text(host, control)
    comment = ("\n          <ak:comment>Waived: %s</ak:comment>" % _text(control["waiver"])
               if control.get("waiver") else "")
    return ("    <rule-result idref=%s time=%s severity=%s weight=%s>\n      <result>%s</result>\n"
            "%s      <message severity=\"info\">%s</message>\n      <check system=%s>\n        <check-content>\n"
            "          <ak:detail>%s</ak:detail>%s\n        </check-content>\n      </check>\n    </rule-result>\n"
            % (_attr(DISA_PREFIX + "rule_" + disa["rule_id"]), _attr(time), _attr(disa["severity"]),
               _attr(disa["weight"]), xccdf_result(control),
               "".join("      <ident system=%s>%s</ident>\n" % (_attr(CCI_SYSTEM), _text(c)) for c in disa["ccis"]),
               _text(detail), _attr(CHECK_SYSTEM), _text(detail), comment))


def _facts(host, target):
    facts = [("urn:xccdf:fact:asset:identifier:host_name", host["name"])]
    facts += [(name, target[key]) for name, key in (("urn:xccdf:fact:asset:identifier:fqdn", "fqdn"),
                                                    ("urn:xccdf:fact:asset:identifier:ipv4", "ip"),
                                                    ("urn:xccdf:fact:asset:identifier:mac", "mac")) if target[key]]
    # STIG Manager sets the asset's FQDN and MAC from these (reviewsFromXccdf)
    tag = "tag:stig-manager@users.noreply.github.com,2020:asset:"
    facts += [(tag + key, target[key]) for key in ("fqdn", "mac") if target[key]]
    return "".join("      <fact name=%s type=\"string\">%s</fact>\n" % (_attr(n), _text(v)) for n, v in facts)


def _score(pairs):
    judged = [c for _d, c in pairs if c["status"] in ("pass", "fail", "waived")]
    passed = len([c for c in judged if c["status"] == "pass"])
    return "%.2f" % (100.0 * passed / len(judged)) if judged else "0.00"


def _rules_xml(pairs, cache):
    """The Group/Rule elements of the host's rules; cache ({rule ID: XML}, one per report) keeps
    each rule's text rendered once for the fleet."""
    parts = []
    for disa, _control in pairs:
        if disa["rule_id"] not in cache:
            cache[disa["rule_id"]] = _xccdf_rule(disa)
        parts.append(cache[disa["rule_id"]])
    return "".join(parts)


def render_xccdf(report, host, rule_cache=None):
    """An XCCDF 1.2 document (Benchmark with one TestResult) for one host, or None when the
    host has no DISA STIG controls. rule_cache: see _rules_xml."""
    identity, pairs = stig_controls(report, host)
    if not pairs:
        return None
    benchmark_id = DISA_PREFIX + "benchmark_" + identity["benchmark_id"]
    time = report["generated_at"] or "1970-01-01T00:00:00Z"
    target = _target(host)
    address = "    <target-address>%s</target-address>\n" % _text(target["ip"]) if target["ip"] else ""
    title = report["title"] + {"remediate_check": " (check mode: the current state; nothing was applied)",
                               "remediation": " (the state after this remediate run)"}.get(report["kind"], "")
    return "".join([
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:ak=%s id=%s xml:lang="en-US" resolved="1" style="SCAP_1.2">\n' % (_attr(NAMESPACE), _attr(benchmark_id)),
        '  <status date=%s>accepted</status>\n' % _attr(identity["status_date"]),
        '  <title>%s</title>\n' % _text(identity["title"]),
        '  <description>The rules of %s that %s checks (kernel-module audit rules), with DISA\'s IDs and text; '
        'the results are in the TestResult.</description>\n' % (_text(identity["title"]), _text(report["generator"])),
        '  <plain-text id="release-info">%s</plain-text>\n' % _text(identity["release_info"]),
        '  <version>%s</version>\n' % _text(identity["version"]),
        '  <metadata>\n    <dc:creator>DISA</dc:creator>\n    <dc:publisher>%s</dc:publisher>\n  </metadata>\n'
        % _text(report["generator"]),
        _rules_xml(pairs, {} if rule_cache is None else rule_cache),
        '  <TestResult id=%s start-time=%s end-time=%s test-system=%s version="1.0">\n'
        % (_attr("xccdf_io.github.auditkit_testresult_" + re.sub(r"[^A-Za-z0-9._-]", "_", safe_name(host["name"]))), _attr(time), _attr(time),
           _attr(TEST_SYSTEM + ":" + VERSION)),
        '    <benchmark href=%s id=%s/>\n' % (_attr("#" + benchmark_id), _attr(benchmark_id)),
        '    <title>%s</title>\n' % _text(title),
        '    <target>%s</target>\n' % _text(host["name"]), address,
        '    <target-facts>\n%s    </target-facts>\n' % _facts(host, target),
        "".join(_rule_result(disa, c, host, time) for disa, c in pairs),
        '    <score system="urn:xccdf:scoring:default" maximum="100">%s</score>\n' % _score(pairs),
        '  </TestResult>\n</Benchmark>\n'])


# --- HDF (InSpec exec JSON) ---------------------------------------------------------------------

def nist_of(ccis):
    """NIST SP 800-53 Rev. 5 controls of CCIs (DISA's CCI list), first-seen order."""
    found = []
    for cci in ccis:
        for nist in (CCI_NIST.get(cci) or {}).get("nist_800_53_rev5") or []:
            if nist not in found:
                found.append(nist)
    return found


def _hdf_result(control, host, time):
    status = control["status"]
    result = {"status": HDF_RESULT[status], "code_desc": "auditkit.auditd %s: %s" % (control["id"], status),
              "start_time": time, "run_time": 0.0}
    if result["status"] == "skipped":
        result["skip_message"] = evidence_text(host, control)
    else:
        result["message"] = evidence_text(host, control)
    return result


def _hdf_control(meta, disa, control, host, time):
    severity = (disa or {}).get("severity") or (meta.get("severity") or "medium").split()[0].lower()
    ccis = (disa or {}).get("ccis") or meta.get("ccis") or []
    tags = {"severity": severity, "cci": ccis, "nist": nist_of(ccis)}
    if severity not in HDF_IMPACT:  # a CIS level ("Level 1 - Server") is no severity: kept as its own tag
        tags.update(severity="medium", cis_level=meta.get("severity") or "")
    if disa:
        tags.update(gid=disa["group_id"], gtitle=disa["group_title"], rid=disa["rule_id"],
                    stig_id=disa["rule_version"])
    title = disa["rule_title"] if disa else meta["title"]
    descriptions = [{"label": "default", "data": (disa or {}).get("discussion") or title},
                    {"label": "check", "data": (disa or {}).get("check_content") or meta.get("check_text") or ""},
                    {"label": "fix", "data": (disa or {}).get("fix_text") or meta.get("fix_text") or ""}]
    out = {"id": control["id"], "title": title, "desc": descriptions[0]["data"], "descriptions": descriptions,
           "impact": 0.0 if control["status"] == "not_applicable" else HDF_IMPACT.get(severity, 0.5),
           "refs": [], "tags": tags, "code": "", "source_location": {},
           "results": [_hdf_result(control, host, time)]}
    if control.get("waiver"):
        # the check ran and failed; the waiver is recorded, not a pass (InSpec's run: true waiver)
        out["waiver_data"] = {"justification": control["waiver"], "run": True, "skipped_due_to_waiver": False,
                              "message": "waived: %s" % control["waiver"], "expiration_date": None}
    return out


def _hdf_profile(report, host):
    """(profile name, title, version, [(meta, disa or None, control)]) of the host's benchmark."""
    metas = dict((m["catalog_id"], m) for m in report["controls"])
    identity, pairs = stig_controls(report, host)
    if identity:
        return (identity["benchmark_id"], identity["title"],
                "%s.%s" % (identity["version"], identity["release"]), identity["release_info"],
                [(metas[c["catalog_id"]], d, c) for d, c in pairs])
    profile = host.get("profile") or {}
    rows = [(metas.get(c["catalog_id"]), None, c) for c in host["controls"] if metas.get(c["catalog_id"])]
    if not rows:
        return None
    meta = rows[0][0]
    return (profile.get("name") or meta["benchmark"], meta["benchmark"], meta["benchmark_version"] or "",
            meta["benchmark_version"] or "", rows)


def _profile_name(host):
    """The host's profile; for a host not judged, the first profile that holds its controls."""
    name = (host.get("profile") or {}).get("name")
    if name or not host["controls"]:
        return name
    ids = set(c["catalog_id"] for c in host["controls"])
    return next((n for n in sorted(PROFILES) if ids <= set(PROFILES[n]["controls"])), None)


def _platform(host):
    """HDF's platform: the OS the host's profile is for (os-release ID and version)."""
    os_info = (PROFILES.get(_profile_name(host) or "") or {}).get("os") or {}
    return {"name": (os_info.get("ids") or ["unknown"])[0], "release": str(os_info.get("version") or "")}


def render_hdf(report, host):
    """HDF (InSpec exec JSON) for one host, or None when it has no controls."""
    found = _hdf_profile(report, host)
    if found is None:
        return None
    name, title, version, release, rows = found
    time = report["generated_at"] or "1970-01-01T00:00:00Z"
    document = {
        "platform": dict(_platform(host), target_id=host["name"]),
        "version": HDF_VERSION,
        "statistics": {"duration": 0.0},
        "profiles": [{
            "name": name, "title": title, "version": version,
            "summary": "%s; %s %s" % (release, report["title"], time),
            "maintainer": "DISA" if rows[0][1] else "", "copyright": "", "copyright_email": "", "license": "",
            "sha256": "", "status": "loaded", "supports": [], "attributes": [], "groups": [], "depends": [],
            "controls": [_hdf_control(meta, disa, c, host, time) for meta, disa, c in rows]}],
        "passthrough": {"auditkit": {"kind": report["kind"], "generated_at": report["generated_at"],
                                     "host_status": host["status"], "target": _target(host)}},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"


def _has_xccdf(report, host):
    return bool(stig_controls(report, host)[1])


def _has_hdf(report, host):
    return bool(host["controls"])


PER_HOST = (("xccdf", ".xccdf.xml", _has_xccdf, render_xccdf), ("hdf", ".hdf.json", _has_hdf, render_hdf))


def defer_host_files(report, formats, deferred):
    """Add the chosen per-host result files to deferred ({file name: (render, report, host)}:
    audit_report_document.RenderedFiles renders each when the writer reads it, so that a
    fleet's per-host files are never all in memory)."""
    renders = {"xccdf": functools.partial(render_xccdf, rule_cache={}), "hdf": render_hdf}
    chosen = [(suffix, has, renders[name]) for name, suffix, has, _render in PER_HOST if name in formats]
    for host in report["hosts"] if chosen else []:
        for suffix, has, render in chosen:
            if has(report, host):
                deferred[safe_name(host["name"]) + suffix] = (render, report, host)
    return deferred
