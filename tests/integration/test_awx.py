# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX way: drift_report and remediate through ansible-runner (private data dir,
extravars, inventory, artifacts), the execution environment's build context, and the job
templates as code."""
import json
import os
import subprocess
import sys
import tarfile

import ansible_runner
import pytest
import yaml

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as P

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DISA_AL2023 = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"


@pytest.fixture
def private_data_dir(tmp_path):
    """What AWX hands ansible-runner: project/, inventory/, env/extravars, env/envvars."""
    data = tmp_path / "runner"
    for sub in ("project", "inventory", "env"):
        (data / sub).mkdir(parents=True)
    for name in ("drift_report", "remediate"):
        playbook = "---\n- name: Run %s\n  import_playbook: auditkit.auditd.%s\n" % (name, name)
        (data / "project" / (name + ".yml")).write_text(playbook)
    hosts = {}
    for host, text in (("web1", DISA_AL2023), ("web2", "-D\n")):
        rules_dir = tmp_path / host / "rules.d"
        rules_dir.mkdir(parents=True)
        (rules_dir / "30.rules").write_text(text)
        (rules_dir / "30.rules").chmod(0o600)
        hosts[host] = {"auditkit_rules_dir": str(rules_dir), "auditkit_rules_file": str(rules_dir / "audit.rules"),
                       "auditkit_compiled_file": str(tmp_path / host / "audit.rules")}
    inventory = {"all": {"children": {"fleet": {"hosts": hosts}},
                         "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}
    (data / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (data / "env" / "extravars").write_text(yaml.safe_dump({
        "target": "fleet", "auditkit_profile": "stig_al2023", "auditkit_arch": "x86_64", "auditkit_read_kernel": False,
        "auditkit_load": False, "auditkit_become": False, "auditkit_report_dir": str(tmp_path / "reports")}))
    (data / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "pytest"), "ANSIBLE_NOCOLOR": "1",
        "PATH": BIN + os.pathsep + os.environ["PATH"]}))
    return data


def _artifacts(run):
    stats = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    return stats[-1]["event_data"]["artifact_data"]


def test_drift_report_and_remediate_through_ansible_runner(private_data_dir, tmp_path):
    drift = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="drift_report.yml", quiet=True)
    assert drift.status == "successful" and drift.rc == 0
    artifact = _artifacts(drift)["auditkit_report"]
    assert artifact["summary"]["controls"] == {"pass": 1, "fail": 5, "waived": 0, "not_applicable": 0, "unreachable": 0}
    assert artifact["drift"] and artifact["failed_controls"] == 5
    assert sorted(os.path.basename(f) for f in artifact["files"]) == [
        "junit.xml", "report.csv", "report.html", "report.json", "summary.md", "web1.cklb", "web2.cklb"]
    with open(str(tmp_path / "reports" / "report.json")) as handle:
        assert [h["name"] for h in json.load(handle)["hosts"]] == ["web1", "web2"]

    remediate = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="remediate.yml", quiet=True)
    assert remediate.status == "successful" and remediate.rc == 0
    per_host = _artifacts(remediate)["auditkit_remediate"]
    assert per_host["web1"]["changed"] and per_host["web1"]["added"] == 4  # 2 missing + 2 advisory b32 twins
    assert per_host["web2"]["added"] == 5 and per_host["web2"]["failing_controls"] == []

    gate = dict(yaml.safe_load((private_data_dir / "env" / "extravars").read_text()), auditkit_fail_on_drift=True)
    (private_data_dir / "env" / "extravars").write_text(yaml.safe_dump(gate))
    clean = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="drift_report.yml", quiet=True)
    assert clean.rc == 0 and not _artifacts(clean)["auditkit_report"]["drift"]


def test_survey_input_is_validated_before_any_host_changes(private_data_dir, tmp_path):
    extravars = yaml.safe_load((private_data_dir / "env" / "extravars").read_text())
    hostile = [{"auditkit_controls": "V-274091,-e 0"}, {"auditkit_profile": "stig_al2023; reboot"},
               {"auditkit_fail_on_drift": "maybe"}, {"auditkit_extra_rules": ["-D"]},
               {"auditkit_extra_rules": ["-w /etc/x -p wa\n-e 2"]}, {"auditkit_extra_rules": ["-e 2"]},
               {"auditkit_extra_rules": ["-a task,never"]}, {"auditkit_extra_rules": ["-w /x -p wa $(reboot)"]},
               {"auditkit_rules_file": str(tmp_path / "web2" / "rules.d" / ".." / "escape.rules")},
               {"auditkit_controls": ",".join(["V-274091"] * 5000)}, {"auditkit_extra_rules": ["-w /x -p x"] * 1001}]
    for bad in hostile:
        (private_data_dir / "env" / "extravars").write_text(yaml.safe_dump(dict(extravars, **bad)))
        run = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="remediate.yml", quiet=True)
        assert run.status == "failed", bad
        assert sorted(os.listdir(str(tmp_path / "web2" / "rules.d"))) == ["30.rules"], bad


def test_execution_environment_build_context(tmp_path):
    tarball = os.path.join(ROOT, ".build", "dist", "auditkit-auditd-0.1.0.tar.gz")
    if not os.path.exists(tarball):
        pytest.skip("the collection tarball is built by make build (make integration depends on it)")
    context = tmp_path / "ee"
    subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", os.path.join(ROOT, "execution-environment.yml"),
                    "-c", str(context), "--output-filename", "Containerfile"], cwd=ROOT, check=True, stdout=subprocess.PIPE)
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile and "COPY _build /build" in containerfile
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    path = requirements["collections"][0]["name"]
    assert path.startswith("/build/")
    bundled = context / "_build" / path[len("/build/"):]
    with tarfile.open(str(bundled)) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "auditkit" and manifest["collection_info"]["name"] == "auditd"


def test_job_templates_as_code():
    path = os.path.join(ROOT, "awx", "job_templates.yml")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    subprocess.run([os.path.join(BIN, "ansible-playbook"), "--syntax-check", path], env=env, check=True,
                   stdout=subprocess.PIPE)
    with open(path) as handle:
        play = yaml.safe_load(handle)[0]
    assert play["vars"]["auditkit_profiles"][0] == P.AUTO
    assert sorted(play["vars"]["auditkit_profiles"][1:]) == P.names()
    survey_vars = [q["variable"] for q in play["vars"]["auditkit_survey"]["spec"]]
    with open(os.path.join(ROOT, "docs", "awx.md")) as handle:
        documented = handle.read()
    assert all("`%s`" % var in documented for var in survey_vars)
    nodes = [t for t in play["tasks"] if "awx.awx.workflow_job_template" in t][0]["awx.awx.workflow_job_template"]
    assert [n["identifier"] for n in nodes["workflow_nodes"]] == ["drift", "approve", "remediate"]
    assert nodes["workflow_nodes"][1]["unified_job_template"]["type"] == "workflow_approval"
