# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX way: drift_report and remediate through ansible-runner (private data dir,
extravars, inventory, artifacts), the execution environment's build context, and the job
templates as code."""
import importlib
import json
import os
import subprocess
import sys
import tarfile
from unittest import mock

import ansible_runner
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.awx.awx.plugins.module_utils.controller_api import ControllerModule

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
from sandbox import awx_private_data_dir

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DISA_AL2023 = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"


FLEET = {"web1": DISA_AL2023, "web2": "-D\n"}
SANDBOX = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "auditkit_arch": "x86_64",
           "auditkit_read_kernel": False, "auditkit_load": False, "auditkit_become": False}
SURVEY = {"auditkit_profile": "stig_al2023", "auditkit_controls": ""}  # what the workflow's survey passes (text)


def _fleet(tmp_path):
    """The inventory AWX would hand over: hosts whose only auditkit variable is their rules directory."""
    hosts = {}
    for host, text in FLEET.items():
        rules_dir = tmp_path / host / "rules.d"
        rules_dir.mkdir(parents=True)
        (rules_dir / "30.rules").write_text(text)
        (rules_dir / "30.rules").chmod(0o600)
        hosts[host] = {"auditkit_rules_dir": str(rules_dir)}
    return {"all": {"children": {"fleet": {"hosts": hosts}}, "vars": SANDBOX}}


def _template(name):
    with open(os.path.join(ROOT, "awx", "job_templates.yml")) as handle:
        play = yaml.safe_load(handle)[0]
    return next(t for t in play["vars"]["auditkit_job_templates"] if t["name"] == name)


def run_node(tmp_path, node, template_name, inventory, survey, artifacts):
    """One workflow node as AWX runs it: the template's playbook, --check for job type check,
    --diff (diff_mode), extra variables: template extra_vars < artifacts < survey answers."""
    template = _template(template_name)
    extravars = dict(template["extra_vars"], **artifacts)
    extravars.update(survey)
    data = awx_private_data_dir(tmp_path, node, inventory, extravars)
    cmdline = "--diff" + (" --check" if template["job_type"] == "check" else "")
    run = ansible_runner.run(private_data_dir=str(data), playbook=template["playbook"], cmdline=cmdline, quiet=True)
    return run, data


def _artifacts(run):
    stats = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    return stats[-1]["event_data"]["artifact_data"]


def test_workflow_node_by_node_through_ansible_runner(tmp_path):
    """drift report -> approval -> remediate -> verify, as the workflow in awx/job_templates.yml."""
    inventory = _fleet(tmp_path)
    drift, drift_dir = run_node(tmp_path, "1-drift", "auditkit drift report", inventory,
                                dict(SURVEY, auditkit_fail_on_drift="false"), {})
    assert drift.status == "successful" and drift.rc == 0
    report = _artifacts(drift)["auditkit_report"]
    assert report["drift"] and report["summary"]["hosts"] == 2
    assert os.path.isfile(os.path.join(str(drift_dir / "project"), report["report_dir"], "report.json"))

    # The approval node: what the approver reads, per host, in the artifacts.
    hosts = report["hosts"]
    assert (hosts["web1"]["status"], hosts["web1"]["failing_controls"]) == ("fail", ["V-274092", "V-274093"])
    assert (hosts["web2"]["status"], hosts["web2"]["failing_controls"]) == ("fail", ["V-274091", "V-274092",
                                                                                     "V-274093"])
    for host in hosts.values():
        assert host["planned"] and not host["truncated"] and len(host["planned"]) <= 50
        assert all(p["action"] == "add" and p["line"].startswith("-") for p in host["planned"])
        assert set(p["control"] for p in host["planned"]) == set(host["failing_controls"])
    assert "V-274091" not in [p["control"] for p in hosts["web1"]["planned"]]
    artifacts = dict(_artifacts(drift))  # AWX passes artifacts to the nodes after the approval

    remediate, _data = run_node(tmp_path, "3-remediate", "auditkit remediate", inventory, SURVEY, artifacts)
    assert remediate.status == "successful" and remediate.rc == 0
    changed = _artifacts(remediate)["auditkit_remediate"]
    assert changed["web1"]["changed"] and changed["web2"]["changed"]
    assert changed["web1"]["failing_controls"] == [] and changed["web2"]["failing_controls"] == []
    artifacts.update(_artifacts(remediate))

    verify, _data = run_node(tmp_path, "4-verify", "auditkit verify", inventory, SURVEY, artifacts)
    assert verify.status == "successful" and verify.rc == 0, verify.stdout.read()  # the workflow's outcome
    verified = _artifacts(verify)["auditkit_report"]
    assert not verified["drift"] and set(h["status"] for h in verified["hosts"].values()) == {"pass"}
    assert verified["hosts"]["web2"]["planned"] == [] and verified["summary"]["controls"]["fail"] == 0
    # the verify node compared with the drift node's verdicts (its artifact auditkit_report_baseline)
    assert artifacts["auditkit_report_baseline"]["generated_at"] == report_generated_at(drift_dir, report)
    assert verified["transitions"] == {"fixed": 5, "regressed": 0, "still_failing": 0, "unchanged": 1, "new": 0,
                                       "gone": 0}
    assert verified["host_transitions"]["web1"] == {"transition": "fixed", "regressed": [],
                                                    "fixed": ["V-274092", "V-274093"]}
    assert verified["host_transitions"]["web2"]["fixed"] == ["V-274091", "V-274092", "V-274093"]
    record = _artifacts(remediate)["auditkit_report"]  # the remediation record compared with the same baseline
    assert record["kind"] == "remediation" and record["transitions"]["fixed"] == 5


def report_generated_at(data_dir, artifact):
    with open(os.path.join(str(data_dir / "project"), artifact["report_dir"], "report.json")) as handle:
        return json.load(handle)["generated_at"]


def test_verify_node_fails_the_workflow_while_drift_remains(tmp_path):
    inventory = _fleet(tmp_path)
    verify, _data = run_node(tmp_path, "4-verify", "auditkit verify", inventory, SURVEY, {})
    assert verify.status == "failed" and verify.rc != 0
    report = _artifacts(verify)["auditkit_report"]
    assert report["drift"] and report["hosts"]["web2"]["status"] == "fail"
    assert not (tmp_path / "web2" / "rules.d" / "audit.rules").exists()  # check mode: nothing written


def test_mixed_fleet_survey_controls_per_host(tmp_path):
    """A survey naming an Amazon Linux control on a fleet with a RHEL 9 host: not_applicable there."""
    inventory = _fleet(tmp_path)
    inventory["all"]["children"]["fleet"]["hosts"]["web2"]["auditkit_profile"] = "stig_rhel9"
    survey = {"auditkit_profile": "stig_al2023", "auditkit_controls": "V-274091, RHEL-09-654080",
              "auditkit_fail_on_drift": "false"}
    survey.pop("auditkit_profile")  # the inventory decides per host here
    inventory["all"]["children"]["fleet"]["hosts"]["web1"]["auditkit_profile"] = "stig_al2023"
    drift, _data = run_node(tmp_path, "1-drift", "auditkit drift report", inventory, survey, {})
    assert drift.rc == 0, drift.status
    hosts = _artifacts(drift)["auditkit_report"]["hosts"]
    assert hosts["web1"]["status"] == "pass" and hosts["web2"]["failing_controls"] == ["V-258190"]


@pytest.fixture
def private_data_dir(tmp_path):
    """A remediate job on the sandbox fleet (survey validation)."""
    inventory = _fleet(tmp_path)
    extravars = dict(SURVEY, target="fleet", auditkit_report_dir=str(tmp_path / "reports"))
    data = awx_private_data_dir(tmp_path, "remediate", inventory, extravars)
    (data / "project" / "remediate.yml").write_text(
        "---\n- name: Run remediate\n  import_playbook: auditkit.auditd.remediate\n")
    return data


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


def _trusted(value):
    """Strings as Ansible's loader marks playbook text: templates it may render."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return dict((key, _trusted(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


class _ArgumentSpec(Exception):
    pass


def _awx_argument_spec(name):
    """The argument spec an awx.awx module builds in main(), with the controller connection options."""
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + name)
    captured = {}

    def capture(argument_spec=None, **kwargs):
        captured.update(spec=argument_spec, kwargs=kwargs)
        raise _ArgumentSpec()

    with mock.patch.object(module, "ControllerAPIModule", capture):
        with pytest.raises(_ArgumentSpec):
            module.main()
    spec = dict(ControllerModule.AUTH_ARGSPEC, **captured["spec"])
    return spec, dict((k, v) for k, v in captured["kwargs"].items() if k.startswith(("required", "mutually")))


def _awx_calls(tmp_path, **overrides):
    """[(module, templated args)] of awx/job_templates.yml as Ansible would call them (loops, when)."""
    path = os.path.join(ROOT, "awx", "job_templates.yml")
    with open(path) as handle:
        play = yaml.safe_load(handle)[0]
    variables = _trusted(dict(play["vars"], **overrides))
    calls = []
    for task in play["tasks"]:
        name = next(key for key in task if key.startswith("awx.awx."))
        items = Templar(loader=DataLoader(), variables=variables).template(_trusted(task.get("loop", "{{ [None] }}")))
        for item in items:
            scope = dict(variables, item=item)
            scope.update(_trusted(task.get("vars", {})))  # task vars, templated lazily with the item in scope
            templar = Templar(loader=DataLoader(), variables=scope)
            if "when" in task and not templar.template(_trusted("{{ %s }}" % task["when"])):
                continue
            calls.append((name.split(".")[-1], templar.template(_trusted(task[name]))))
    return play, calls


def test_job_templates_as_code_syntax_and_awx_argument_specs(tmp_path):
    """What is exercised without a controller: the playbook's syntax, every awx.awx call's
    templated arguments against that module's own argument spec (names, types, choices,
    required and exclusive options), and that every object referenced is created here. Not
    exercised: the controller API itself (nested workflow node fields, survey server checks)."""
    path = os.path.join(ROOT, "awx", "job_templates.yml")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    subprocess.run([os.path.join(BIN, "ansible-playbook"), "--syntax-check", path], env=env, check=True,
                   stdout=subprocess.PIPE)
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----\n"
    play, calls = _awx_calls(tmp_path, auditkit_awx_credential="auditkit fleet ssh", auditkit_awx_ssh_key_data=key)
    for module, args in calls:
        spec, rules = _awx_argument_spec(module)
        result = ArgumentSpecValidator(spec, **rules).validate(dict(args, controller_host="https://awx.invalid"))
        assert not result.error_messages, (module, args.get("name"), result.error_messages)

    created = {}
    for module, args in calls:
        created.setdefault(module, set()).add(args["name"])
    refs = []
    for module, args in calls:
        refs += [("organization", args.get("organization")), ("project", args.get("project")),
                 ("project", args.get("source_project")), ("inventory", args.get("inventory")),
                 ("execution_environment", args.get("execution_environment")),
                 ("execution_environment", args.get("default_environment"))]
        refs += [("credential", c) for c in args.get("credentials") or []]
    for kind, name in refs:
        assert name is None or name in created.get(kind, ()), (kind, name, created)
    assert created["execution_environment"] == {"auditkit.auditd EE"}
    ee = next(args for module, args in calls if module == "execution_environment")
    assert ee["image"] == play["vars"]["auditkit_awx_ee_image"]
    assert "credential" not in dict(_awx_calls(tmp_path)[1])  # no credential asked for, none created or attached

    templates = dict((args["name"], args) for module, args in calls if module == "job_template")
    for template in templates.values():
        assert os.path.isfile(os.path.join(ROOT, template["playbook"]))
        _check_survey(template["survey_spec"])
    assert templates["auditkit verify"]["extra_vars"] == {"auditkit_fail_on_drift": True}
    assert templates["auditkit verify"]["job_type"] == templates["auditkit drift report"]["job_type"] == "check"

    workflow = next(args for module, args in calls if module == "workflow_job_template")
    _check_survey(workflow["survey_spec"])
    assert "auditkit_fail_on_drift" not in [q["variable"] for q in workflow["survey_spec"]["spec"]]
    nodes = dict((n["identifier"], n) for n in workflow["workflow_nodes"])
    assert list(nodes) == ["drift", "approve", "remediate", "verify"]
    order = [("drift", "always_nodes", "approve"), ("approve", "success_nodes", "remediate"),
             ("remediate", "success_nodes", "verify")]
    for parent, link, child in order:
        assert nodes[parent]["related"] == {link: [{"identifier": child}]}
    assert "related" not in nodes["verify"]  # the last job's result is the workflow's outcome
    assert nodes["approve"]["unified_job_template"]["type"] == "workflow_approval"
    for node in nodes.values():
        template = node["unified_job_template"]
        assert template["type"] == "workflow_approval" or template["name"] in created["job_template"]


def _check_survey(survey):
    """Survey questions as AWX validates them, and each variable an option of the role."""
    with open(os.path.join(ROOT, "roles", "module_loading", "meta", "argument_specs.yml")) as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    with open(os.path.join(ROOT, "docs", "awx.md")) as handle:
        documented = handle.read()
    assert survey["name"] and survey["description"]
    for question in survey["spec"]:
        assert question["type"] in ("text", "textarea", "password", "integer", "float", "multiplechoice",
                                    "multiselect")
        assert question["variable"] in options and "`%s`" % question["variable"] in documented
        if question["type"] == "multiplechoice":
            assert question["default"] in question["choices"]
    for profile in [q for q in survey["spec"] if q["variable"] == "auditkit_profile"]:
        assert profile["choices"][0] == PF.AUTO and sorted(profile["choices"][1:]) == PF.names()
