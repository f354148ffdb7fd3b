# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenSCAP as an independent judge: on 120+ generated rules-directory layouts, compare
audit_rules_info's verdict for the RHEL 7/8/9 STIG module-loading and kmod controls with the
SCAP Security Guide's OVAL definitions evaluated by ``oscap oval eval`` on the same tree
(OSCAP_PROBE_ROOT). Every disagreement must be one documented in docs/openscap-differences.md,
and every documented one must still happen."""
import os
import re
import shutil
import subprocess

import pytest
from layouts import PRODUCTS, family, generate
from oval_subset import subset

from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SSG = "/usr/share/xml/scap/ssg/content"
DOC = os.path.join(ROOT, "docs", "openscap-differences.md")
RESULT = re.compile(r"^Definition (oval:ssg-audit_rules_([a-z_]+):def:1): (\w[\w ]*)$", re.M)


def _documented():
    rows = set()
    with open(DOC) as handle:
        for line in handle:
            match = re.match(r"^\| `(\w+)` \| (\w+) \| (pass|fail) \| (pass|fail) \|", line)
            if match:
                rows.add(match.groups())
    return rows


@pytest.fixture(scope="module")
def ovals(tmp_path_factory):
    if not shutil.which("oscap") or not os.path.exists(os.path.join(SSG, "ssg-rhel9-oval.xml")):
        pytest.skip("oscap or the SCAP Security Guide is not installed (openscap-scanner, ssg-nondebian)")
    out = tmp_path_factory.mktemp("oval")
    files = {}
    for product, (_profile, source, controls) in PRODUCTS.items():
        ids = sorted(set("oval:ssg-audit_rules_%s:def:1" % d for defs in controls.values() for d in defs))
        files[product] = str(out / ("%s.xml" % product))
        subset(os.path.join(SSG, source), ids, files[product])
    return files


def _oscap(oval, root):
    done = subprocess.run(["oscap", "oval", "eval", oval], env=dict(os.environ, OSCAP_PROBE_ROOT=str(root)),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    return dict((suffix, value) for _full, suffix, value in RESULT.findall(done.stdout))


def _ours(run_module, layout, root):
    profile = PRODUCTS[layout.product][0]
    result = run_module(audit_rules_info, rules=[], profile=profile, arch="x86_64", loaded=False,
                        loader=layout.loader, rules_dir=str(root / "etc/audit/rules.d"),
                        compiled_file=str(root / "etc/audit/audit.rules"))
    assert not result.get("failed"), result
    return dict((c["catalog_id"], c["status"]) for c in result["controls"])


def test_openscap_agrees_except_where_documented(run_module, ovals, tmp_path):
    layouts = generate()
    assert len(layouts) >= 100
    seen, details = set(), []
    for layout in layouts:
        root = tmp_path / ("layout%03d" % layout.number)
        (root / "etc/audit/rules.d").mkdir(parents=True)
        for path, text in layout.files().items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        oval = _oscap(ovals[layout.product], root)
        ours = _ours(run_module, layout, root)
        for control, definitions in PRODUCTS[layout.product][2].items():
            judged = "pass" if all(oval[d] == "true" for d in definitions) else "fail"
            if judged != ours[control]:
                variant = "task_never" if layout.task_never else layout.variants[control]
                kind = "any" if layout.task_never else family(control)
                seen.add((variant, kind, judged, ours[control]))
                details.append("%r %s: OpenSCAP %s, auditkit %s" % (layout, control, judged, ours[control]))
    documented = _documented()
    assert seen == documented, "\n".join(
        ["undocumented: %s" % (row,) for row in sorted(seen - documented)]
        + ["documented but not seen: %s" % (row,) for row in sorted(documented - seen)] + details[:40])
