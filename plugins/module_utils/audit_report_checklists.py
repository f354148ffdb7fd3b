# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DISA checklists of one host (private to auditkit.auditd). Pure: no I/O.

``render_cklb`` writes the STIG Viewer 3 checklist (JSON), ``render_ckl`` the STIG Viewer 2 one
(XML), from the same rows: per DISA benchmark of the host's controls, its identity (stig_id =
DISA's Benchmark id, integer version, DISA's ``Release: N Benchmark Date: DD Mon YYYY``) and per
control DISA's rule fields (audit_control_texts TEXTS[id]["disa"], generated from DISA's XCCDF),
the status, the finding details (current state) and the comments (waiver, plan, baseline).
STIG Manager (reviewsFromCklb / reviewsFromCkl) finds the STIG by stig_id, the revision by
version + release_info and each review by the rule ID with its revision (SV-...r..._rule).

Controls without a DISA benchmark (CIS profiles) get no checklist: a checklist is DISA's form
for DISA's benchmarks, and a CIS recommendation has no STIG ID, rule ID or revision a checklist
tool could match. The target's IP, FQDN and MAC come from the host's facts when the play
gathered them (``target_of``), empty otherwise.
"""

import json
import uuid

from xml.sax.saxutils import escape

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_host_facts as HF
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_control_texts import TEXTS

CKL_STATUS = {"not_a_finding": "NotAFinding", "open": "Open", "not_applicable": "Not_Applicable",
              "not_reviewed": "Not_Reviewed"}
EMPTY_TARGET = RD.EMPTY_TARGET
_CKL_RULE_DATA = {}  # (rule ID, benchmark, release) -> its STIG_DATA lines around STIG_UUID's value
# STIG Viewer 2's VULN attributes in its order, and the DISA rule field (or callable) each holds
CKL_ATTRIBUTES = (
    ("Vuln_Num", "group_id"), ("Severity", "severity"), ("Group_Title", "group_title"), ("Rule_ID", "rule_id"),
    ("Rule_Ver", "rule_version"), ("Rule_Title", "rule_title"), ("Vuln_Discuss", "discussion"),
    ("IA_Controls", "ia_controls"), ("Check_Content", "check_content"), ("Fix_Text", "fix_text"),
    ("False_Positives", "false_positives"), ("False_Negatives", "false_negatives"),
    ("Documentable", "documentable"), ("Mitigations", "mitigations"), ("Potential_Impact", "potential_impacts"),
    ("Third_Party_Tools", "third_party_tools"), ("Mitigation_Control", "mitigation_control"),
    ("Responsibility", "responsibility"), ("Security_Override_Guidance", "security_override_guidance"),
    ("Check_Content_Ref", "check_content_ref_name"), ("Weight", "weight"), ("Class", "class"),
    ("STIGRef", "stig_ref"), ("TargetKey", "target_key"), ("STIG_UUID", "stig_uuid"),
)


def target_of(facts):
    """{ip_address, fqdn, mac_address} from a host's ansible_facts (empty strings without them)."""
    facts = facts if isinstance(facts, dict) else {}
    ipv4 = facts.get("default_ipv4") if isinstance(facts.get("default_ipv4"), dict) else {}
    ipv6 = facts.get("default_ipv6") if isinstance(facts.get("default_ipv6"), dict) else {}
    return {"ip_address": str(ipv4.get("address") or ipv6.get("address") or ""),
            "fqdn": str(facts.get("fqdn") or ""),
            "mac_address": str(ipv4.get("macaddress") or ipv6.get("macaddress") or "")}


def _disa_of(meta):
    """DISA's rule fields of a report control (report.json carries them; older slices did not)."""
    return meta.get("disa") or (TEXTS.get(meta["catalog_id"]) or {}).get("disa")


def checklist_stigs(report, host):
    """[(benchmark identity, [(DISA rule fields, host control row)])] in first-seen order, one
    per DISA benchmark of the host's controls; [] when none has one (CIS, no controls)."""
    metas = dict((m["catalog_id"], m) for m in report["controls"])
    stigs, order = {}, []
    for control in host["controls"]:
        meta = metas.get(control["catalog_id"])
        disa = _disa_of(meta) if meta else None
        if not disa:
            continue
        key = disa["benchmark"]["benchmark_id"]
        if key not in stigs:
            stigs[key] = (disa["benchmark"], [])
            order.append(key)
        stigs[key][1].append((disa, control))
    return [stigs[key] for key in order]


def finding_details(control, host, check_content=None):
    """The current state only: verdict, evidence that exists now, what is missing now, why a pass
    is not reviewed (RD.unverified_reason) and the host's warnings."""
    lines = ["auditkit.auditd: %s" % (host["error"] or control["reason"])]
    unverified = RD.unverified_reason(control, host, {"check_text": check_content})
    if unverified:
        lines.append("Not reviewed: %s; judge it again where the kernel (or that file) can be read" % unverified)
    if RD.host_warnings(host):
        lines.append("Host warnings: %s" % RD.host_warnings_text(host))
    if control["waiver"]:
        lines.append("Waived: %s" % RD.waiver_text(control))
    lines += ["Evidence (%s) %s:%s: %s" % (e["where"], e["file"], e["line"], e["text"]) for e in control["evidence"]]
    lines += ["Missing: %s" % line for line in control["missing"]]
    lines += ["Advisory %s: %s" % (a["status"], a["rule"]) for a in control["advisory"]]
    if control.get("probe"):
        lines.append("Probe (audit records of the fired action): %s" % RD.probe_text(control))
    lines += ["Host fact: %s" % fact for fact in HF.host_facts(host)]
    return "\n".join(lines)


def comments(control, report=None):
    """Waiver, the planned fix (not applied) and the change since a baseline go into the
    comments, never into the status."""
    parts = ["Waived: %s" % RD.waiver_text(control)] if control["waiver"] else []
    since = RC.checklist_comment(control, report or {})
    if since:
        parts.append(since)
    planned = control.get("planned")
    if planned and planned["changes"]:
        parts.append("Planned by auditkit.auditd remediate (dry run, NOT applied; expected %s after):"
                     % planned["status"])
        parts += ["  %s %s: %s" % (c["action"], c["file"], c["line"]) for c in planned["changes"]]
    return "\n".join(parts)


def _target_comment(report):
    comment = "auditkit.auditd %s %s" % (report["kind"], report["generated_at"])
    if report["kind"] == "remediate_check":
        comment += ": current state (check mode, nothing applied); planned fixes in the rule comments"
    return comment


def _stig_uuid(host, benchmark):
    return str(uuid.uuid5(RD.UUID_NAMESPACE, host["name"] + benchmark["benchmark_id"]))


def _display_name(benchmark):
    return benchmark["title"].replace(" Security Technical Implementation Guide", "")


def _stig_ref(benchmark):
    """STIG Viewer's STIGRef: '<title> :: Version N, Release: N Benchmark Date: ...'."""
    return "%s :: Version %d, %s" % (benchmark["title"], benchmark["version"], benchmark["release_info"])


def _rule_id(rule_id_src):
    return rule_id_src[:-len("_rule")] if rule_id_src.endswith("_rule") else rule_id_src


def _cklb_rule(disa, control, stig_uuid, host, report):
    fields = ("group_id", "group_title", "rule_version", "rule_title", "fix_text", "weight", "severity",
              "check_content", "discussion", "false_positives", "false_negatives", "documentable",
              "security_override_guidance", "potential_impacts", "third_party_tools", "ia_controls",
              "responsibility", "mitigations", "mitigation_control")
    rule = dict((field, disa[field]) for field in fields)
    rule.update({
        "group_id_src": disa["group_id"], "rule_id_src": disa["rule_id"], "rule_id": _rule_id(disa["rule_id"]),
        "group_tree": [{"id": disa["group_id"], "title": disa["group_title"],
                        "description": disa["group_description"]}],
        "check_content_ref": dict(disa["check_content_ref"]), "classification": "Unclassified",
        "legacy_ids": list(disa["legacy_ids"]), "ccis": list(disa["ccis"]), "reference_identifier": "",
        "uuid": str(uuid.uuid5(RD.UUID_NAMESPACE, host["name"] + control["catalog_id"])),
        "stig_uuid": stig_uuid, "status": RD.checklist_status(control, host, {"check_text": disa["check_content"]}),
        "overrides": {}, "comments": comments(control, report),
        "finding_details": finding_details(control, host, disa["check_content"]),
        "srg_id": disa["group_title"],
    })
    return rule


def render_cklb(report, host):
    """A STIG Viewer 3 checklist for one host, or None when no control has a DISA benchmark."""
    stigs = checklist_stigs(report, host)
    if not stigs:
        return None
    entries = []
    for benchmark, pairs in stigs:
        stig_uuid = _stig_uuid(host, benchmark)
        rules = [_cklb_rule(disa, control, stig_uuid, host, report) for disa, control in pairs]
        entries.append({"stig_name": benchmark["title"], "display_name": _display_name(benchmark),
                        "stig_id": benchmark["benchmark_id"], "release_info": benchmark["release_info"],
                        "version": benchmark["version"], "uuid": stig_uuid, "reference_identifier": "",
                        "size": len(rules), "rules": rules})
    target = dict(EMPTY_TARGET, **(host.get("target") or {}))
    document = {
        "title": "%s - %s" % (host["name"], " + ".join(_display_name(b) for b, _pairs in stigs)),
        "id": str(uuid.uuid5(RD.UUID_NAMESPACE, host["name"])),
        "stigs": entries, "active": True, "mode": 2, "has_path": False,
        "target_data": {"target_type": "Computing", "host_name": host["name"], "ip_address": target["ip_address"],
                        "mac_address": target["mac_address"], "fqdn": target["fqdn"],
                        "comments": _target_comment(report), "role": "None", "is_web_database": False,
                        "technology_area": "", "web_db_site": "", "web_db_instance": "", "classification": None},
        "cklb_version": "1.0",
    }
    return json.dumps(document) + "\n"  # no indent: json's C encoder (a fleet's checklists in seconds)


def _element(tag, text, indent):
    """<TAG>text</TAG>, escaped, without the characters XML 1.0 cannot hold (RD.xml_text)."""
    return "%s<%s>%s</%s>" % (" " * indent, tag, escape(RD.xml_text(str(text))), tag)


def _ckl_rule_data(disa, benchmark):
    """The STIG_DATA lines of one DISA rule, as (before STIG_UUID's value, after it): the same
    for every host, so rendered once per rule (a fleet's checklists repeat DISA's texts)."""
    key = (disa["rule_id"], benchmark["benchmark_id"], benchmark["release_info"])
    if key not in _CKL_RULE_DATA:
        values = dict(disa, check_content_ref_name=disa["check_content_ref"].get("name", "M"),
                      stig_ref=_stig_ref(benchmark), target_key="", stig_uuid="\0")
        values["class"] = "Unclass"
        data = [(name, values[field]) for name, field in CKL_ATTRIBUTES]
        data += [("LEGACY_ID", legacy) for legacy in disa["legacy_ids"]] + [("CCI_REF", cci) for cci in disa["ccis"]]
        lines = []
        for name, value in data:
            lines += ["        <STIG_DATA>", _element("VULN_ATTRIBUTE", name, 10),
                      _element("ATTRIBUTE_DATA", value, 10) if value != "\0" else "          <ATTRIBUTE_DATA>\0</ATTRIBUTE_DATA>",
                      "        </STIG_DATA>"]
        _CKL_RULE_DATA[key] = tuple("\n".join(lines).split("\0"))
    return _CKL_RULE_DATA[key]


def _ckl_vuln(disa, control, benchmark, stig_uuid, host, report):
    before, after = _ckl_rule_data(disa, benchmark)
    return ["      <VULN>", before + escape(stig_uuid) + after,
            _element("STATUS", CKL_STATUS[RD.checklist_status(control, host, {"check_text": disa["check_content"]})], 8),
            _element("FINDING_DETAILS", finding_details(control, host, disa["check_content"]), 8),
            _element("COMMENTS", comments(control, report), 8),
            _element("SEVERITY_OVERRIDE", "", 8), _element("SEVERITY_JUSTIFICATION", "", 8), "      </VULN>"]


def _ckl_stig_info(benchmark, stig_uuid):
    source = benchmark["source"]["file"].rsplit("/", 1)[-1]
    info = (("version", benchmark["version"]), ("classification", "UNCLASSIFIED"), ("customname", ""),
            ("stigid", benchmark["benchmark_id"]), ("description", ""), ("filename", source),
            ("releaseinfo", benchmark["release_info"]), ("title", benchmark["title"]), ("uuid", stig_uuid),
            ("notice", "terms-of-use"), ("source", "STIG.DOD.MIL"))
    lines = ["      <STIG_INFO>"]
    for name, value in info:
        lines += ["        <SI_DATA>", _element("SID_NAME", name, 10), _element("SID_DATA", value, 10),
                  "        </SI_DATA>"]
    return lines + ["      </STIG_INFO>"]


def render_ckl(report, host):
    """A STIG Viewer 2 checklist (.ckl XML) for one host, or None when no control has a DISA benchmark."""
    stigs = checklist_stigs(report, host)
    if not stigs:
        return None
    target = dict(EMPTY_TARGET, **(host.get("target") or {}))
    asset = (("ROLE", "None"), ("ASSET_TYPE", "Computing"), ("MARKING", "CUI"), ("HOST_NAME", host["name"]),
             ("HOST_IP", target["ip_address"]), ("HOST_MAC", target["mac_address"]), ("HOST_FQDN", target["fqdn"]),
             ("TARGET_COMMENT", _target_comment(report)), ("TECH_AREA", ""), ("TARGET_KEY", ""),
             ("WEB_OR_DATABASE", "false"), ("WEB_DB_SITE", ""), ("WEB_DB_INSTANCE", ""))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<!--auditkit.auditd :: STIG Viewer 2 checklist-->",
             "<CHECKLIST>", "  <ASSET>"] + [_element(tag, value, 4) for tag, value in asset] + ["  </ASSET>", "  <STIGS>"]
    for benchmark, pairs in stigs:
        stig_uuid = _stig_uuid(host, benchmark)
        lines += ["    <iSTIG>"] + _ckl_stig_info(benchmark, stig_uuid)
        for disa, control in pairs:
            lines += _ckl_vuln(disa, control, benchmark, stig_uuid, host, report)
        lines.append("    </iSTIG>")
    lines += ["  </STIGS>", "</CHECKLIST>"]
    return "\n".join(lines) + "\n"
