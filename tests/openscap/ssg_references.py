# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read the SCAP Security Guide's XCCDF (Debian's ssg-nondebian) for the kernel-module rules and
compare the control catalog (data/controls.yml) with it: IDs, CCIs, SRGs, CIS numbers and, where
both describe the same STIG release, the rule lines of SSG's bash remediation.

``differences()`` returns one row per difference: (catalog control, aspect, catalog side, SSG
side), each side a short deterministic text. docs/ssg-crosscheck.md lists the expected rows."""
import os
import re
import xml.etree.ElementTree as ET

import yaml

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_rule

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOG_FILE = os.path.join(ROOT, "data", "controls.yml")
SSG = "/usr/share/xml/scap/ssg/content"
XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
RULE_PREFIX = "xccdf_org.ssgproject.content_rule_"
SSG_RULES = (["audit_rules_kernel_module_loading_" + s for s in ("init", "finit", "delete", "create", "query")]
             + ["audit_rules_privileged_commands_" + t for t in ("kmod", "insmod", "rmmod", "modprobe")])
# Catalog product -> SSG product whose XCCDF describes it.
PRODUCTS = {"rhel7": "rhel7", "rhel8": "rhel8", "rhel9": "rhel9", "ol8": "ol8", "ol9": "ol9", "sle15": "sle15",
            "ubuntu2004": "ubuntu2004", "ubuntu2204": "ubuntu2204"}
MACHINE = "x86_64"
UID_MIN = "1000"


class SsgRule(object):
    """One XCCDF Rule: its name, references by kind, and the rule lines of its bash fix."""

    def __init__(self, name, references, lines):
        self.name = name
        self.references = references
        self.lines = lines

    def refs(self, kind):
        return self.references.get(kind, set())


def _reference_kind(href, text):
    if text.startswith("CCI-"):
        return "cci"
    if text.startswith("SRG-"):
        return "srg"
    if re.match(r"^SV-\d+r\d+_rule$", text):
        return "rule_id"
    if re.match(r"^(RHEL-\d\d|OL\d\d-\d\d|SLES-\d\d|UBTU-\d\d)-\d{6}$", text):
        return "stig_id"
    if "cisecurity.org/benchmark" in href:
        return "cis"
    return None


def _var(script, name):
    match = re.search(r'^\s*%s="([^"]*)"' % name, script, re.M)
    return match.group(1) if match else None


def fix_lines(script):
    """The audit rule lines SSG's bash remediation writes on a 64-bit machine."""
    watch = re.search(r'echo "(-w [^"]+)" >>', script)
    if watch:
        return [watch.group(1)]
    action, other = _var(script, "ACTION_ARCH_FILTERS"), _var(script, "OTHER_FILTERS")
    auid = _var(script, "AUID_FILTERS")
    syscall, key = _var(script, "SYSCALL"), _var(script, "KEY")
    if action is None:
        return []
    archs = ["b32", "b64"] if "$ARCH" in action and 'RULE_ARCHS=("b32" "b64")' in script else [None]
    lines = []
    for arch in archs:
        words = [action.replace("$ARCH", arch or "")]
        words += ["-S %s" % s for s in (syscall or "").split()]
        words += [other or "", auid or "", "-k %s" % key if key else ""]
        lines.append(" ".join(w for w in words if w))
    return lines


_PARSED = {}


def _xccdf(product):
    """The parsed ssg-<product>-xccdf.xml (xml.etree), parsed once per test run."""
    if product not in _PARSED:
        _PARSED[product] = ET.parse(os.path.join(SSG, "ssg-%s-xccdf.xml" % product)).getroot()
    return _PARSED[product]


def read_product(product):
    """{rule name: SsgRule} from ssg-<product>-xccdf.xml."""
    root = _xccdf(product)
    rules = {}
    for rule in root.iter(XCCDF + "Rule"):
        name = rule.get("id", "")[len(RULE_PREFIX):]
        if name not in SSG_RULES:
            continue
        references = {}
        for ref in rule.findall(XCCDF + "reference"):
            text = (ref.text or "").strip()
            kind = _reference_kind(ref.get("href") or "", text)
            if kind:
                references.setdefault(kind, set()).add(text)
        scripts = ["".join(fix.itertext()) for fix in rule.findall(XCCDF + "fix")
                   if fix.get("system") == "urn:xccdf:fix:script:sh"]
        rules[name] = SsgRule(name, references, fix_lines(scripts[0]) if scripts else [])
    return rules


def ssg_version(product):
    return _xccdf(product).find(XCCDF + "version").text


def load_catalog():
    with open(CATALOG_FILE) as handle:
        return yaml.safe_load(handle)["controls"]


def _catalog_lines(control):
    return [re.sub(r"\s+#.*$", "", line).replace("<UID_MIN>", UID_MIN).strip()
            for line in control["required_rule_lines"]]


def _uncovered(lines, by_lines):
    """The lines of ``lines`` whose syscalls (or watch) the rules of ``by_lines`` together do
    not cover, keys ignored (SSG and DISA use different keys; neither's check enforces them)."""
    covering = [parse_rule(line) for line in by_lines]
    missing = []
    for line in lines:
        required = parse_rule(line)
        wanted = S.canonical(required, MACHINE)
        parts = [S.covered_syscalls(S.canonical(rule, MACHINE), wanted, match="strict", key_policy="any")
                 for rule in covering]
        if isinstance(wanted.syscalls, frozenset):  # a syscall list: several rules may share it
            covered = wanted.syscalls <= frozenset().union(*[p for p in parts if isinstance(p, frozenset)])
        else:  # "all" or a watch: one rule must cover it whole
            covered = any(p == wanted.syscalls and not isinstance(p, frozenset) for p in parts)
        if not covered:
            missing.append(line)
    return missing


def _side(items):
    return ", ".join(sorted(items)) or "-"


def _set_rows(control_id, aspect, catalog_items, ssg_items):
    catalog_items, ssg_items = set(catalog_items), set(ssg_items)
    if catalog_items == ssg_items:
        return []
    return [(control_id, aspect, _side(catalog_items - ssg_items), _side(ssg_items - catalog_items))]


def _stig_rows(control, rules):
    cid = control["id"]
    mine = [r for r in rules.values() if control["stig_id"] in r.refs("stig_id")]
    if not mine:
        return [(cid, "stig_id", control["stig_id"], "-")]

    def union(kind):
        return set(i for r in mine for i in r.refs(kind))

    rows = _set_rows(cid, "rule_id", [control["rule_id"]], union("rule_id"))
    rows += _set_rows(cid, "ccis", control.get("ccis", []), union("cci"))
    rows += _set_rows(cid, "srgs", control.get("satisfies_srgs", []), union("srg"))
    if union("rule_id") == {control["rule_id"]}:  # the same STIG release: compare the rule lines
        ssg_lines = [line for r in sorted(mine, key=lambda r: r.name) for line in r.lines]
        catalog_lines = _catalog_lines(control)
        rows += _set_rows(cid, "rules", _uncovered(catalog_lines, ssg_lines), _uncovered(ssg_lines, catalog_lines))
    return rows


def _audited(rule_name):
    """What an SSG rule audits, in the catalog's ``covers`` words."""
    what = rule_name.rsplit("_", 1)[1]
    if rule_name.startswith("audit_rules_privileged_commands_"):
        return "/usr/bin/kmod" if what == "kmod" else what
    return what + "_module"


def _cis_rows(control, rules):
    """CIS: SSG names no CIS version, so only the number and what its rules audit are compared."""
    cid = control["id"]
    number = control["recommendation"]
    mine = [r.name for r in rules.values() if number in r.refs("cis")]
    if not mine:
        return [(cid, "cis", number, "-")]
    return _set_rows(cid, "cis_covers", control["covers"], [_audited(name) for name in mine])


def differences():
    """Every difference between the catalog and SSG, as sorted rows."""
    rows = []
    by_product = dict((p, read_product(s)) for p, s in PRODUCTS.items())
    for control in load_catalog():
        kind, product = control["id"].split(":")[:2]
        if product not in by_product:
            continue
        if kind == "stig":
            rows += _stig_rows(control, by_product[product])
        else:
            rows += _cis_rows(control, by_product[product])
    return sorted(rows)
