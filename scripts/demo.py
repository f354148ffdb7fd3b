# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Show the rule engine judging a rules directory: `make demo` runs this.

Reads every *.rules file of a directory in augenrules' order, reports lines auditctl would
reject (file:line:column), groups equivalent spellings, and says whether each required
rule is covered, and by which line. Until the modules and profiles land, the required
rules are the three kernel-module lines of the Amazon Linux 2023 STIG (V-274091..3).

    python3 scripts/demo.py [RULES_DIR] [--machine x86_64]
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import conftest  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as P  # noqa: E402
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S  # noqa: E402
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError  # noqa: E402

REQUIRED = {
    "V-274091": "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "V-274092": "-a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change",
    "V-274093": "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
}


def augenrules_order(names):
    """``ls -1v`` order: digit runs compare as numbers."""
    return sorted(names, key=lambda n: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", n)])


def read_rules(directory):
    lines, errors = [], []
    for name in augenrules_order(n for n in os.listdir(directory) if n.endswith(".rules")):
        with open(os.path.join(directory, name), encoding="utf-8", errors="surrogateescape") as handle:
            parsed, bad = P.parse_text(handle.read(), name)
        lines += parsed
        errors += bad
    return lines, errors


def resolve(lines, machine, errors):
    rules = []
    for line in lines:
        if line.kind == "rule":
            try:
                rules.append((line, S.canonical_text(line, machine, keys=False)))
            except AuditRuleError as err:
                errors.append(err)
    return rules


def report(directory, machine):
    lines, errors = read_rules(directory)
    rules = resolve(lines, machine, errors)
    print("Rules directory %s, judged for %s\n" % (directory, machine))
    print("Lines auditctl would reject (it stops loading at the first one):")
    for err in sorted(errors, key=lambda e: (e.file, e.line)):
        print("  %s" % err)
    print("\nEquivalent spellings (same meaning to the kernel, keys aside):")
    groups = {}
    for rule, canon in rules:
        groups.setdefault(canon, []).append(rule)
    for canon, members in groups.items():
        if len(members) > 1:
            print("  %s" % canon)
            for rule in members:
                print("    %s:%s  %s" % (rule.location.file, rule.location.line, rule.text.strip()))
    print("\nRequired rules (Amazon Linux 2023 STIG):")
    for control, text in REQUIRED.items():
        required = P.parse_rule(text)
        hits = [r for r, _c in rules if S.covers(r, required, machine)]
        verdict = "covered by %s:%s" % (hits[0].location.file, hits[0].location.line) if hits else "MISSING"
        print("  %-9s %-8s %s" % (control, "pass" if hits else "fail", verdict))
        if not hits:
            print("            write: %s" % S.render(required, machine))
    commented = [line for line in lines if line.kind == "comment" and line.body.startswith("-")]
    for line in commented:
        print("\nNote: %s:%s is a commented-out rule: %s" % (line.location.file, line.location.line, line.body))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rules_dir", nargs="?", default=os.path.join(ROOT, "docs", "examples", "rules.d"))
    parser.add_argument("--machine", default=os.uname().machine)
    args = parser.parse_args()
    report(args.rules_dir, args.machine)


if __name__ == "__main__":
    main()
