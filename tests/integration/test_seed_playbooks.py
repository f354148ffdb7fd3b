# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The seed texts (tests/fixtures/seeds/) through ansible-playbook, as a user runs them: each
passes its control with audit_rules_info on the machine it is written for, fails without one
of its lines, and audit_rules on an empty rules directory writes lines that pass. One more case
judges the CIS RHEL 7 /sbin watches against CIS RHEL 8 v1's /usr/sbin ones on this host
(merged /usr: the same directory entries)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")
BIN = os.path.dirname(sys.executable)
SEEDS = os.path.join(ROOT, "tests", "fixtures", "seeds")

# (case name, seed fixture, rules.d file, profile, control, arch)
CASES = [
    ("al2023", "stig_al2023_V-274091.rules", "audit.rules", "stig_al2023", "V-274091", "x86_64"),
    ("cis64", "cis_rhel7_v3_4.1.16_64bit.rules", "modules.rules", "cis_rhel7_v3", "4.1.16", "x86_64"),
    ("cis32", "cis_rhel7_v3_4.1.16_32bit.rules", "modules.rules", "cis_rhel7_v3", "4.1.16", "i686"),
]

PLAYBOOK = """
- name: Seed texts judged by their own controls
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Judge each rules directory
      auditkit.auditd.audit_rules_info:
        rules_dir: "{{ item.rules_dir }}"
        compiled_file: "{{ item.compiled }}"
        profile: "{{ item.profile }}"
        controls: ["{{ item.control }}"]
        arch: "{{ item.arch }}"
        loaded: false
      loop: "{{ judge_cases }}"
      register: judged

    - name: Remediate each empty rules directory
      auditkit.auditd.audit_rules:
        rules_dir: "{{ item.rules_dir }}"
        compiled_file: "{{ item.compiled }}"
        dest: "{{ item.rules_dir }}/{{ item.dest }}"
        profile: "{{ item.profile }}"
        controls: ["{{ item.control }}"]
        arch: "{{ item.arch }}"
      loop: "{{ remediate_cases }}"

    - name: Judge each remediated rules directory
      auditkit.auditd.audit_rules_info:
        rules_dir: "{{ item.rules_dir }}"
        compiled_file: "{{ item.compiled }}"
        profile: "{{ item.profile }}"
        controls: ["{{ item.control }}"]
        arch: "{{ item.arch }}"
        loaded: false
      loop: "{{ remediate_cases }}"
      register: remediated

    - name: Save the verdicts
      ansible.builtin.copy:
        content: "{{ {'judged': judged.results | map(attribute='controls') | list,
                      'remediated': remediated.results | map(attribute='controls') | list} | to_json }}"
        dest: "{{ verdicts_file }}"
        mode: "0600"
"""


def _case_dir(tmp_path, name, lines, dest):
    rules_dir = tmp_path / name / "rules.d"
    rules_dir.mkdir(parents=True)
    if lines is not None:
        (rules_dir / dest).write_text("\n".join(lines) + "\n")
    return str(rules_dir), str(tmp_path / name / "audit.rules")


def test_seed_texts_through_ansible_playbook(tmp_path):
    judge, remediate, expected = [], [], []
    for name, seed, dest, profile, control, arch in CASES:
        with open(os.path.join(SEEDS, seed)) as handle:
            lines = handle.read().splitlines()
        variants = [(name, lines, "pass")]
        variants += [("%s-no%d" % (name, i), lines[:i] + lines[i + 1:], "fail") for i in range(len(lines))]
        for case, text, status in variants:
            rules_dir, compiled = _case_dir(tmp_path, case, text, dest)
            judge.append(dict(rules_dir=rules_dir, compiled=compiled, profile=profile, control=control, arch=arch))
            expected.append((case, status))
        rules_dir, compiled = _case_dir(tmp_path, name + "-empty", None, dest)
        remediate.append(dict(rules_dir=rules_dir, compiled=compiled, dest=dest, profile=profile, control=control,
                              arch=arch))
    # this host: CIS RHEL 8 v1.0.1 wants -w /usr/sbin/...; the CIS RHEL 7 text's -w /sbin/... are the
    # same directory entries exactly where /sbin and /usr/sbin are one directory (merged /usr)
    with open(os.path.join(SEEDS, CASES[1][1])) as handle:
        rules_dir, compiled = _case_dir(tmp_path, "merged-usr", handle.read().splitlines(), "modules.rules")
    judge.append(dict(rules_dir=rules_dir, compiled=compiled, profile="cis_rhel8_v1", control="4.1.15", arch="x86_64"))
    expected.append(("merged-usr", "pass" if os.path.samefile("/sbin", "/usr/sbin") else "fail"))
    (tmp_path / "seeds.yml").write_text(PLAYBOOK)
    verdicts_file = tmp_path / "verdicts.json"
    extra = dict(judge_cases=judge, remediate_cases=remediate, verdicts_file=str(verdicts_file))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, PATH=BIN + os.pathsep + os.environ["PATH"])
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(tmp_path / "seeds.yml"), "-e", json.dumps(extra)],
                          env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout
    verdicts = json.loads(verdicts_file.read_text())
    assert len(verdicts["judged"]) == len(expected)
    statuses = [(case, controls[0]["status"]) for (case, _status), controls in zip(expected, verdicts["judged"])]
    assert statuses == expected
    assert [controls[0]["status"] for controls in verdicts["remediated"]] == ["pass"] * len(CASES)
    written = (tmp_path / "cis32-empty" / "rules.d" / "modules.rules").read_text()
    assert "arch=b64" not in written and "arch=b32" in written
