# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX job slicing: K = 4 slices of a sandbox fleet run concurrently through ansible-runner, each
with its own private data directory and inventory slice (AWX sorts the hosts by name and gives
host i to slice i % K + 1), each publishing its report as artifacts; then the merge job
(playbooks/merge_reports.yml) with those artifacts as extra variables. The merged report must
equal the report of one unsliced run (hosts, statuses, reasons, evidence, counts), and when a
slice fails before its report or never runs, its hosts must be reported as error with the slice
named, and the other hosts unchanged."""
import json
import os
import sys

import ansible_runner
import jsonschema
import pytest
from sandbox import awx_private_data_dir

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K = 4
DISA = [
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
]
STATES = {  # rules files per state; hosts cycle through them
    "empty": {"10-base.rules": "-D\n-b 8192\n"},
    "compliant": {"audit.rules": "\n".join(DISA) + "\n"},
    "no-kmod": {"30.rules": "\n".join(DISA[:4]) + "\n"},  # only the waived control fails
    "suppressed": {"10-base.rules": "-D\n-a task,never\n", "audit.rules": "\n".join(DISA) + "\n"},
    "kmod-only": {"30.rules": DISA[4] + "\n"},
}
SANDBOX = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "auditkit_arch": "x86_64",
           "auditkit_read_kernel": False, "auditkit_load": False, "auditkit_become": False}
SURVEY = {"auditkit_profile": "stig_rhel9", "auditkit_controls": "", "auditkit_fail_on_drift": "false",
          "auditkit_waivers": {"V-258195": "kmod executions are covered by the site EDR (ticket SEC-42)"}}


def _fleet(tmp_path):
    """15 hosts: three of each state, one without a rules directory (error), one unreachable."""
    hosts = {}
    for index in range(15):
        state = sorted(STATES)[index % len(STATES)]
        name = "host%02d-%s" % (index, state)
        rules_dir = tmp_path / "hosts" / name / "rules.d"
        rules_dir.mkdir(parents=True)
        for file_name, text in STATES[state].items():
            (rules_dir / file_name).write_text(text)
        hosts[name] = {"auditkit_rules_dir": str(rules_dir)}
    hosts["host15-noaudit"] = {"auditkit_rules_dir": str(tmp_path / "hosts" / "host15-noaudit" / "rules.d")}
    hosts["host16-down"] = {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_connection": "ssh",
                            "ansible_ssh_timeout": 3}
    return hosts


def _inventory(hosts):
    return {"all": {"children": {"fleet": {"hosts": hosts}}, "vars": SANDBOX}}


def _awx_slice(hosts, number):
    """The hosts AWX gives slice number (1-based): sorted by name, index modulo K."""
    names = sorted(hosts)[number - 1::K]
    return dict((name, hosts[name]) for name in names)


def _start(data, playbook, cmdline):
    thread, runner = ansible_runner.run_async(private_data_dir=str(data), playbook=playbook, cmdline=cmdline,
                                              quiet=True)
    return thread, runner


def _artifacts(runner):
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"]
    return stats[-1]["event_data"].get("artifact_data") or {} if stats else {}


def _report(data):
    """The report.json a job wrote in its project directory (report_dir is relative to it)."""
    found = [os.path.join(root, "report.json") for root, _dirs, files in os.walk(str(data / "project"))
             if "report.json" in files]
    assert len(found) == 1, found
    with open(found[0]) as handle:
        return json.load(handle)


def _verdicts(report):
    """Everything a verdict is made of, per host, without the order of hosts or the timestamps
    (last_changed names the run, a slice's or the unsliced job's, in which the host last changed)."""
    return dict((h["name"], dict((k, v) for k, v in h.items() if k != "last_changed")) for h in report["hosts"])


@pytest.fixture(scope="module")
def sliced_runs(tmp_path_factory):
    """The unsliced drift report job, the 4 slices, and a slice 2 whose playbook fails before its
    report (an execution environment without the collection), all running at the same time."""
    tmp_path = tmp_path_factory.mktemp("slicing")
    hosts = _fleet(tmp_path)
    jobs = {"unsliced": awx_private_data_dir(tmp_path, "unsliced", _inventory(hosts), dict(SURVEY, awx_job_id=100))}
    for number in range(1, K + 1):
        jobs["slice%d" % number] = awx_private_data_dir(
            tmp_path, "slice%d" % number, _inventory(_awx_slice(hosts, number)),
            dict(SURVEY, awx_job_id=100 + number, auditkit_report_slice=True))
    empty = tmp_path / "ee-without-collection"
    empty.mkdir()
    jobs["slice2-broken"] = awx_private_data_dir(
        tmp_path, "slice2-broken", _inventory(_awx_slice(hosts, 2)),
        dict(SURVEY, awx_job_id=202, auditkit_report_slice=True), collections=str(empty))
    started = dict((name, _start(data, "playbooks/drift_report.yml", "--check --diff")) for name, data in jobs.items())
    for thread, _runner in started.values():
        thread.join()
    runs = dict((name, runner) for name, (_thread, runner) in started.items())
    return tmp_path, hosts, jobs, runs


def _merge(tmp_path, name, hosts, artifacts, **extravars):
    data = awx_private_data_dir(tmp_path, name, _inventory(hosts), dict(artifacts, auditkit_slice_count=K, **extravars))
    thread, runner = _start(data, "playbooks/merge_reports.yml", "")
    thread.join()
    return runner, data


def _combined(runs, names):
    """The artifacts AWX passes on from a sliced job: every slice's, one dictionary."""
    combined = {}
    for name in names:
        combined.update(_artifacts(runs[name]))
    return combined


def test_merged_report_equals_the_unsliced_run(sliced_runs):
    tmp_path, hosts, jobs, runs = sliced_runs
    # after the report the host without a rules directory fails and the unreachable one ends unreachable (rc 4)
    assert runs["unsliced"].rc == 4 and _report(jobs["unsliced"])["summary"]["hosts"] == len(hosts)
    for number in range(1, K + 1):
        published = _artifacts(runs["slice%d" % number])["auditkit_report_slice_%d" % (100 + number)]
        assert sorted(h["name"] for h in published["report"]["hosts"]) == sorted(_awx_slice(hosts, number))
    unsliced = _report(jobs["unsliced"])
    merger, data = _merge(tmp_path, "merge-all", hosts, _combined(runs, ["slice%d" % n for n in range(1, K + 1)]))
    assert merger.rc == 0, merger.stdout.read()
    merged = _report(data)
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as handle:
        jsonschema.validate(merged, json.load(handle))
    assert sorted(h["name"] for h in merged["hosts"]) == sorted(hosts)  # each host exactly once
    assert _verdicts(merged) == _verdicts(unsliced)
    assert merged["summary"] == unsliced["summary"] and merged["controls"] == unsliced["controls"]
    statuses = set(h["status"] for h in merged["hosts"])
    assert {"pass", "fail", "waived", "error", "unreachable"} <= statuses  # the fleet exercises every path
    assert [s["status"] for s in merged["slices"]] == ["reported"] * K
    artifacts = _artifacts(merger)["auditkit_report"]
    assert artifacts["summary"]["hosts"] == len(hosts) and artifacts["drift"]
    # every format of the merged set is rendered by the same code: the CSV has one row per host x control
    csv_path = [f for f in artifacts["files"] if f.endswith("report.csv")][0]
    with open(os.path.join(str(data / "project"), csv_path)) as handle:
        rows = handle.read().splitlines()[1:]
    assert len(rows) == sum(max(1, len(h["controls"])) for h in unsliced["hosts"])


def test_a_slice_that_fails_before_its_report_is_named_and_its_hosts_are_errors(sliced_runs):
    tmp_path, hosts, jobs, runs = sliced_runs
    assert runs["slice2-broken"].status == "failed" and not _artifacts(runs["slice2-broken"])
    names = ["slice1", "slice2-broken", "slice3", "slice4"]
    merger, data = _merge(tmp_path, "merge-failed-slice", hosts, _combined(runs, names), auditkit_fail_on_drift=True)
    assert merger.status == "failed"  # fail on drift: hosts nobody judged are drift
    merged = _report(data)
    unsliced = _verdicts(_report(jobs["unsliced"]))
    lost = set(_awx_slice(hosts, 2))
    assert sorted(h["name"] for h in merged["hosts"]) == sorted(hosts)
    for name, host in _verdicts(merged).items():
        if name in lost:
            assert host["status"] == "error" and "slice 2 of 4" in host["error"], host
            assert [c["status"] for c in host["controls"]] == ["error"] * len(host["controls"])
        else:
            assert host == unsliced[name]
    assert [(s["name"], s["status"]) for s in merged["slices"]] == [
        ("job 101", "reported"), ("job 103", "reported"), ("job 104", "reported"), ("slice 2 of 4", "missing")]
    assert merged["summary"]["host_status"]["error"] == len(lost) + 1  # and host15-noaudit


def test_slices_that_never_ran_and_a_private_dir_without_report(sliced_runs):
    """Outside AWX the merge reads the slices' private data directories; one holds no report."""
    tmp_path, hosts, jobs, runs = sliced_runs
    paths = [str(jobs[name] / "project") for name in ("slice1", "slice2-broken", "slice3")]
    merger, data = _merge(tmp_path, "merge-paths", hosts, {}, auditkit_merge_paths=paths)
    assert merger.rc == 0, merger.stdout.read()
    merged = _report(data)
    rows = dict((s["name"], s) for s in merged["slices"])
    assert rows[paths[1]]["status"] == "failed" and "no report.json" in rows[paths[1]]["error"]
    assert rows["slice 2 of 4"]["status"] == rows["slice 4 of 4"]["status"] == "missing"
    lost = set(_awx_slice(hosts, 2)) | set(_awx_slice(hosts, 4))
    unsliced = _verdicts(_report(jobs["unsliced"]))
    for name, host in _verdicts(merged).items():
        assert host["status"] == "error" if name in lost else host == unsliced[name], (name, host)


def test_sliced_templates_and_workflow_as_code(tmp_path):
    """awx/job_templates.yml with auditkit_awx_slice_count=4: every awx.awx call's templated
    arguments against that module's argument spec, the slice count and the slice flag on the
    drift report, remediate and verify templates, the merge templates, and the workflow
    drift -> merge -> approve -> remediate -> verify -> merge_verify."""
    import test_awx  # pylint: disable=import-outside-toplevel
    _play, calls = test_awx._awx_calls(tmp_path, auditkit_awx_slice_count=4)
    for module, args in calls:
        spec, rules = test_awx._awx_argument_spec(module)
        result = test_awx.ArgumentSpecValidator(spec, **rules).validate(dict(args, controller_host="https://x.invalid"))
        assert not result.error_messages, (module, args.get("name"), result.error_messages)
    templates = dict((args["name"], args) for module, args in calls if module == "job_template")
    for name in ("auditkit drift report", "auditkit remediate", "auditkit verify"):
        assert templates[name]["job_slice_count"] == 4 and templates[name]["extra_vars"]["auditkit_report_slice"]
    for name in ("auditkit merge reports", "auditkit merge verify"):
        assert templates[name]["job_slice_count"] == 1 and templates[name]["extra_vars"]["auditkit_slice_count"] == 4
        assert os.path.isfile(os.path.join(ROOT, templates[name]["playbook"]))
    assert templates["auditkit merge verify"]["extra_vars"]["auditkit_fail_on_drift"] is True
    workflow = next(args for module, args in calls if module == "workflow_job_template")
    nodes = dict((n["identifier"], n) for n in workflow["workflow_nodes"])
    assert list(nodes) == ["drift", "merge", "approve", "remediate", "verify", "merge_verify"]
    links = [(p, link, c["identifier"]) for p, n in nodes.items() for link, cs in n.get("related", {}).items()
             for c in cs]
    assert links == [("drift", "always_nodes", "merge"), ("merge", "always_nodes", "approve"),
                     ("approve", "success_nodes", "remediate"), ("remediate", "success_nodes", "verify"),
                     ("verify", "always_nodes", "merge_verify")]
    for node in nodes.values():
        template = node["unified_job_template"]
        assert template["type"] == "workflow_approval" or template["name"] in templates
    _play, plain = test_awx._awx_calls(tmp_path)  # one slice: the templates as before, no merge
    plain_templates = [args for module, args in plain if module == "job_template"]
    assert len(plain_templates) == 3 and all(t["job_slice_count"] == 1 for t in plain_templates)
    assert all("auditkit_report_slice" not in t["extra_vars"] for t in plain_templates)
