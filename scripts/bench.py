# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench: measure, then rewrite BENCHMARKS.md. Benchmarks are not tests.

1. Fleet: N local containers (default 20), the same inventory, forks and pipelining for every
   row; each row the median of RUNS interleaved runs: the ping floor, drift_report on
   non-compliant hosts, remediate (first and second run) and the ComplianceAsCode baseline
   (the tasks of four rules extracted at run time from ssg-nondebian's rhel9-playbook-stig.yml,
   with only their container and package gates removed; first and second run).
2. Controller scaling: drift_report over 100, 300 and 1000 local-connection hosts, each with
   its own rules directory.
3. Engine: parse and evaluate a 10,000-line rules directory against every bundled profile.
4. Report step alone: the report (every format) of 1,000 to 50,000 synthetic hosts whose
   results are real audit_rules_info results (scripts/bench_fixtures/audit_rules_info.json,
   captured once with --capture-fixture) with per-host names and paths; time and peak RSS of the
   process. The size of one host's result with detail=full and detail=report.
5. Round trip: the AnsiballZ payload of each module (ANSIBLE_KEEP_REMOTE_FILES) and its run time
   on the host (the kept payload run with the target's Python), beside ping's.

    python scripts/bench.py [--hosts 20] [--runs 3] [--scale 100,300,1000] [--parts fleet,scaling,...]

Parts not run keep their section of the previous BENCHMARKS.md (with its date).
"""
import argparse
import base64
import datetime
import glob
import io
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, ".build", "pytest"))

IMAGE = "auditkit/debian12:test"
CAC_PLAYBOOK = "/usr/share/scap-security-guide/ansible/rhel9-playbook-stig.yml"
CAC_RULES = ("audit_rules_kernel_module_loading_init", "audit_rules_kernel_module_loading_finit",
             "audit_rules_kernel_module_loading_delete", "audit_rules_privileged_commands_kmod")
CAC_GATES = ('"audit" in ansible_facts.packages',
             'ansible_virtualization_type not in ["docker", "lxc", "openvz", "podman", "container"]')
LOCAL_ACTIONS = {"set_fact", "debug", "assert", "meta", "include_tasks", "import_tasks", "include_role",
                 "import_role", "set_stats", "fail", "validate_argument_spec", "include_vars", "add_host",
                 "group_by", "pause", "ansible.builtin.set_fact", "ansible.builtin.debug", "ansible.builtin.assert",
                 "ansible.builtin.set_stats", "ansible.builtin.validate_argument_spec", "ansible.builtin.fail",
                 "ansible.builtin.include_tasks", "ansible.builtin.meta"}
SEED = "-D\n-b 8192\n"
GOALS = (("drift_report / floor", "<= 1.3"), ("remediate (2nd) / floor", "<= 1.3"), ("CaC 1st / our 1st", ">= 20"))
FIXTURE = os.path.join(ROOT, "scripts", "bench_fixtures", "audit_rules_info.json")
PARTS = ("engine", "fleet", "scaling", "report", "compare", "payload", "budget")
REPORT_GOAL = (10000, 30.0, 1024.0)  # hosts, seconds, MiB
COMPARE_GOAL = (10000, 10.0, 1024.0)  # hosts, seconds of the comparison, MiB of the whole step with the report
WORKER_GOAL_MIB = 200.0


# --- running things ---------------------------------------------------------------------------

def environment(extra=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "pytest"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_PIPELINING="1",
               ANSIBLE_FORKS="20", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_HOST_KEY_CHECKING="0",
               PATH=BIN + os.pathsep + os.environ["PATH"])
    env.update(extra or {})
    return env


def measured(command, cwd, env):
    """(wall seconds, controller CPU seconds, parsed JSON output) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        output = json.JSONDecoder().raw_decode(done.stdout[done.stdout.index("{"):])[0]
    except ValueError:
        raise SystemExit("%s failed (rc=%d):\n%s\n%s" % (" ".join(command), done.returncode, done.stdout[-3000:],
                                                         done.stderr[-3000:]))
    if done.returncode != 0:
        raise SystemExit("%s failed (rc=%d): %s" % (" ".join(command), done.returncode, done.stderr[-2000:]))
    return wall, cpu, output


def counts(output, hosts):
    """(tasks per host, remote module executions per host) from the json callback output."""
    tasks, remote = 0, 0
    for play in output.get("plays", []):
        for task in play["tasks"]:
            results = dict((h, r) for h, r in task["hosts"].items() if h in hosts)
            if not results:
                continue
            tasks += 1
            for result in results.values():
                action = result.get("action", "")
                if not result.get("skipped") and action not in LOCAL_ACTIONS:
                    remote += 1
    return tasks, remote / float(len(hosts))


# --- the fleet --------------------------------------------------------------------------------

def fleet_names(count):
    return ["bench%02d" % i for i in range(count)]


def start_fleet(names):
    stop_fleet(names)
    for name in names:
        subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", IMAGE, "sleep", "infinity"],
                       check=True, stdout=subprocess.DEVNULL)


def stop_fleet(names):
    subprocess.run(["docker", "rm", "-f"] + names, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def reset_fleet(names):
    """Every host back to non-compliant: only a base file with -D and -b."""
    for name in names:
        subprocess.run(["docker", "exec", "-i", name, "sh", "-c",
                        "rm -f /etc/audit/rules.d/*.rules && cat > /etc/audit/rules.d/10-base.rules"],
                       input=SEED, text=True, check=True)


def cac_playbook(workdir):
    """The CaC tasks of the four rules, gates for containers and the package name removed."""
    with open(CAC_PLAYBOOK) as handle:
        play = yaml.safe_load(handle)[0]
    tasks = [t for t in play["tasks"] if set(CAC_RULES) & set(t.get("tags") or [])]

    def ungate(task):
        when = task.get("when")
        if isinstance(when, list):
            task["when"] = [w for w in when if w not in CAC_GATES] or None
            if task["when"] is None:
                del task["when"]
        for child in task.get("block", []) + task.get("rescue", []) + task.get("always", []):
            ungate(child)
        return task

    bench_play = {"name": "ComplianceAsCode baseline (%s)" % ", ".join(CAC_RULES), "hosts": "all",
                  "vars": play.get("vars", {}), "tasks": [ungate(t) for t in tasks]}
    path = os.path.join(workdir, "cac.yml")
    with open(path, "w") as handle:
        yaml.safe_dump([bench_play], handle, sort_keys=False)
    return path, len(tasks)


def fleet_benchmark(hosts, runs, cac_runs=None):
    """Every row RUNS times, interleaved; ComplianceAsCode's rows (about five minutes each at 20
    hosts) only in the first CAC_RUNS runs (default: all)."""
    cac_runs = runs if cac_runs is None else cac_runs
    names = fleet_names(hosts)
    workdir = tempfile.mkdtemp(prefix="auditkit-bench-")
    inventory = os.path.join(workdir, "hosts.ini")
    with open(inventory, "w") as handle:
        handle.write("[all]\n%s\n[all:vars]\nansible_connection=community.docker.docker\n"
                     "ansible_python_interpreter=/usr/bin/python3\n" % "\n".join(names))
    cac, _top = cac_playbook(workdir)
    ours = ["-e", json.dumps({"auditkit_profile": "stig_rhel9", "auditkit_become": False,
                              "auditkit_report_dir": os.path.join(workdir, "report")})]
    playbook = os.path.join(BIN, "ansible-playbook")
    rows = [
        ("floor: ansible all -m ping", [os.path.join(BIN, "ansible"), "all", "-i", inventory, "-m", "ping"], False),
        ("drift_report (non-compliant hosts)", [playbook, "-i", inventory, "auditkit.auditd.drift_report"] + ours, True),
        ("remediate, 1st run", [playbook, "-i", inventory, "auditkit.auditd.remediate"] + ours, True),
        ("remediate, 2nd run", [playbook, "-i", inventory, "auditkit.auditd.remediate"] + ours, False),
        ("ComplianceAsCode, 1st run", [playbook, "-i", inventory, cac], True),
        ("ComplianceAsCode, 2nd run", [playbook, "-i", inventory, cac], False),
    ]
    samples = dict((label, []) for label, _c, _r in rows)
    shape = {}
    start_fleet(names)
    try:
        for run in range(runs):
            for label, command, reset in rows:
                if label.startswith("ComplianceAsCode") and run >= cac_runs:
                    continue
                if reset:
                    reset_fleet(names)
                env = environment({"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"} if "ping" not in label else
                                  {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"})
                wall, cpu, output = measured(command, workdir, env)
                samples[label].append((wall, cpu))
                shape[label] = counts(output, names)
    finally:
        stop_fleet(names)
    return {"hosts": hosts, "runs": runs, "cac_runs": cac_runs, "cac": cac, "rows": [
        {"label": label, "wall": statistics.median(w for w, _c in samples[label]),
         "cpu": statistics.median(c for _w, c in samples[label]), "tasks": shape[label][0],
         "remote": shape[label][1]} for label, _command, _reset in rows]}


# --- controller scaling -----------------------------------------------------------------------

def scaling_benchmark(sizes):
    """drift_report on local-connection hosts; the process tree of ansible-playbook sampled for
    each process's peak RSS (workers apart from the main process) and the tree's summed PSS."""
    results = []
    for size in sizes:
        workdir = tempfile.mkdtemp(prefix="auditkit-scale-%d-" % size)
        lines = ["[all]"]
        for index in range(size):
            rules_dir = os.path.join(workdir, "h%04d" % index, "rules.d")
            os.makedirs(rules_dir)
            with open(os.path.join(rules_dir, "10-base.rules"), "w") as handle:
                handle.write(SEED)
            lines.append("h%04d auditkit_rules_dir=%s auditkit_compiled_file=%s/audit.rules"
                         % (index, rules_dir, os.path.dirname(rules_dir)))
        lines += ["[all:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % sys.executable]
        with open(os.path.join(workdir, "hosts.ini"), "w") as handle:
            handle.write("\n".join(lines) + "\n")
        extra = {"auditkit_profile": "stig_rhel9", "auditkit_become": False, "auditkit_read_kernel": False,
                 "auditkit_arch": "x86_64", "auditkit_report_dir": os.path.join(workdir, "report")}
        command = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(workdir, "hosts.ini"),
                   "auditkit.auditd.drift_report", "-e", json.dumps(extra)]
        # The default callback, as a user (or AWX's event callback) runs it: the json callback would
        # keep every host's result in the main process until the end, which is the benchmark's memory.
        start = time.monotonic()
        child = subprocess.Popen(command, cwd=workdir, env=environment({"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with TreeMemory(child.pid) as memory:
            _pid, _status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        cpu = usage.ru_utime + usage.ru_stime
        row = {"hosts": size, "wall": wall, "cpu": cpu, "report_s": None,
               "worker_peak_mib": memory.worker_peak_mib(), "main_peak_mib": memory.main_peak_mib(),
               "tree_pss_mib": memory.tree_peak_kib / 1024.0}
        print("scaling: %s" % row)
        results.append(row)
        shutil.rmtree(workdir)
    return results


# --- memory of a process tree -------------------------------------------------------------------

def _status(pid):
    """{VmRSS, VmHWM} in KiB of one process, or None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            fields = dict(line.split(":", 1) for line in handle if line.startswith(("VmRSS", "VmHWM", "PPid")))
    except (IOError, OSError, ValueError):
        return None
    return dict((k, int(v.split()[0])) for k, v in fields.items())


def _pss(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as handle:
            return sum(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
    except (IOError, OSError, ValueError):
        return 0


def _tree(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            status = _status(int(entry))
            if status:
                children.setdefault(status.get("PPid"), []).append(int(entry))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children.get(pid, [])
    return pids


class TreeMemory(object):
    """Samples a process tree every interval: the peak of its summed PSS (shared pages counted
    once) and each process's own peak RSS (VmHWM, the kernel's high-water mark)."""

    def __init__(self, root, interval=0.5):
        self.root, self.interval = root, interval
        self.tree_peak_kib, self.process_peak_kib, self.root_peak_kib = 0, {}, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.daemon = True

    def _run(self):
        while not self._stop.is_set():
            total = 0
            for pid in _tree(self.root):
                status = _status(pid)
                if status:
                    self.process_peak_kib[pid] = max(self.process_peak_kib.get(pid, 0), status.get("VmHWM", 0))
                    total += _pss(pid)
            self.tree_peak_kib = max(self.tree_peak_kib, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def worker_peak_mib(self):
        """The highest peak RSS of any process of the tree except the root (ansible-playbook's workers)."""
        return max([v for pid, v in self.process_peak_kib.items() if pid != self.root] or [0]) / 1024.0

    def main_peak_mib(self):
        return self.process_peak_kib.get(self.root, 0) / 1024.0


# --- report step alone, on synthetic results ----------------------------------------------------

CAPTURE_STATES = {  # a fleet's typical states: nothing, partly covered, covered
    "seed": {"10-base.rules": SEED},
    "partial": {"10-base.rules": SEED, "30-site.rules": (
        "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"
        "-w /usr/bin/kmod -p x -k modules\n")},
    "compliant": {"10-base.rules": "-D\n", "audit.rules": "".join(
        "-a always,exit -F arch=%s -S %s -F auid>=1000 -F auid!=unset -k module_chng\n" % (arch, calls)
        for arch in ("b32", "b64") for calls in ("init_module,finit_module", "delete_module"))
        + "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules\n"},
}


def capture_fixture():
    """Run audit_rules_info through ansible-playbook on one local host per state, with detail=full
    and detail=report, and store the registered results (the fixture of the report benchmark)."""
    workdir = tempfile.mkdtemp(prefix="auditkit-capture-")
    lines = ["[all]"]
    for state, files in CAPTURE_STATES.items():
        rules_dir = os.path.join(workdir, state, "rules.d")
        os.makedirs(rules_dir)
        for name, text in files.items():
            with open(os.path.join(rules_dir, name), "w") as handle:
                handle.write(text)
        lines.append("%s auditkit_rules_dir=%s" % (state, rules_dir))
    lines += ["[all:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % sys.executable]
    with open(os.path.join(workdir, "hosts.ini"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    play = [{"name": "Capture audit_rules_info results", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "Judge (%s)" % detail, "auditkit.auditd.audit_rules_info": {
            "profile": "stig_rhel9", "rules_dir": "{{ auditkit_rules_dir }}", "loaded": False, "arch": "x86_64",
            "detail": detail}, "register": "result_%s" % detail} for detail in ("full", "report")] + [
        {"name": "Store", "delegate_to": "localhost", "ansible.builtin.copy": {
            "dest": os.path.join(workdir, "{{ inventory_hostname }}.json"),
            "content": "{{ {'full': result_full, 'report': result_report} | to_json }}"}}]}]
    with open(os.path.join(workdir, "capture.yml"), "w") as handle:
        yaml.safe_dump(play, handle)
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "hosts.ini", "capture.yml"], cwd=workdir,
                          env=environment({"ANSIBLE_STDOUT_CALLBACK": "default"}), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit("capture failed:\n%s" % done.stdout[-3000:])
    fixture = {"captured_with": "ansible-playbook, audit_rules_info profile=stig_rhel9 loaded=false arch=x86_64",
               "rules_dir": "/bench/rules.d", "hosts": {}}
    for state in CAPTURE_STATES:
        with open(os.path.join(workdir, state + ".json")) as handle:
            text = handle.read().replace(os.path.join(workdir, state), "/bench")
        fixture["hosts"][state] = json.loads(text)
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as handle:
        json.dump(fixture, handle, indent=1, sort_keys=True)
        handle.write("\n")
    shutil.rmtree(workdir)
    print("fixture written: %s" % FIXTURE)


def synthetic_results(count, detail="report", shift=0):
    """count per-host results shaped like real ones: the captured results in turn (3 states), each
    host with its own name in its paths and texts, deserialised from JSON as the controller does;
    shift rotates the states (another run of the same fleet, for the comparison)."""
    with open(FIXTURE) as handle:
        fixture = json.load(handle)
    texts = [json.dumps(fixture["hosts"][state][detail]) for state in sorted(fixture["hosts"])]
    return dict(("host%05d" % i, json.loads(texts[(i + shift) % len(texts)].replace("/bench", "/bench/host%05d" % i)))
                for i in range(count))


def report_step(count, detail="report"):
    """In this process: generate the results, then run the report as the action plugin does
    (audit_report_files.run_report: build, render every format, write). Prints JSON."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF
    start = time.perf_counter()
    results = synthetic_results(count, detail)
    generated = time.perf_counter()
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dest = tempfile.mkdtemp(prefix="auditkit-report-%d-" % count)
    params = dict((k, v.get("default")) for k, v in RF.OPTIONS.items())
    params.update(dest=dest, kind="drift_report", formats=list(RF.OPTIONS["formats"]["choices"]))  # every format
    now = datetime.datetime.now(datetime.timezone.utc)
    result = RF.run_report(params, results, {}, list(results), {}, now, False)
    done = time.perf_counter()
    size = sum(os.path.getsize(p) for p in result["files"])
    shutil.rmtree(dest)
    print(json.dumps({"hosts": count, "generate_s": generated - start, "report_s": done - generated,
                      "results_peak_mib": before_kib / 1024.0, "files": len(result["files"]),
                      "bytes_written": size, "host_status": result["summary"]["host_status"]}))


def compare_step(count):
    """In this process: a baseline report of count hosts written as report.json (the states
    rotated: hosts fixed, regressed, unchanged), then this run's report step with that baseline
    (audit_report_files.run_report with baseline=<dir>: read, compare, render, write). Prints JSON."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_files as RF
    params = dict((k, v.get("default")) for k, v in RF.OPTIONS.items())
    now = datetime.datetime.now(datetime.timezone.utc)
    base_dir = tempfile.mkdtemp(prefix="auditkit-baseline-%d-" % count)
    RF.run_report(dict(params, dest=base_dir, kind="drift_report", formats=["json"]), synthetic_results(count, shift=1),
                  {}, ["host%05d" % i for i in range(count)], {}, now, False)
    results = synthetic_results(count)
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timed = {}
    original = RF.with_baseline

    def timed_baseline(report, baseline):
        start = time.perf_counter()
        compared = original(report, baseline)
        timed["compare_s"] = time.perf_counter() - start
        return compared

    RF.with_baseline = timed_baseline
    dest = tempfile.mkdtemp(prefix="auditkit-report-%d-" % count)
    start = time.perf_counter()
    result = RF.run_report(dict(params, dest=dest, kind="drift_report", baseline=base_dir), results, {}, list(results),
                           {}, now, False)
    done = time.perf_counter()
    shutil.rmtree(dest)
    shutil.rmtree(base_dir)
    print(json.dumps({"hosts": count, "compare_s": timed["compare_s"], "report_s": done - start,
                      "results_peak_mib": before_kib / 1024.0, "transitions": result["transitions"]}))


def compare_benchmark(sizes):
    """compare_step in a child process per size: its times and peak RSS."""
    rows = []
    for size in sizes:
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--compare-step", str(size)],
                                 stdout=subprocess.PIPE, text=True, env=environment())
        _pid, status, usage = os.wait4(child.pid, 0)
        out = child.stdout.read()
        if status != 0:
            raise SystemExit("compare step for %d hosts failed: %s" % (size, out))
        row = json.loads(out)
        row["peak_mib"] = usage.ru_maxrss / 1024.0
        print("compare step: %s" % row)
        rows.append(row)
    return rows


def report_benchmark(sizes):
    """report_step in a child process per size: its time, and the peak RSS of the child (the
    whole process tree of the step: it starts no processes)."""
    rows = []
    for size in sizes:
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--report-step", str(size)],
                                 stdout=subprocess.PIPE, text=True, env=environment())
        with TreeMemory(child.pid) as memory:
            _pid, status, usage = os.wait4(child.pid, 0)
        out = child.stdout.read()
        if status != 0:
            raise SystemExit("report step for %d hosts failed: %s" % (size, out))
        row = json.loads(out)
        row["peak_mib"] = usage.ru_maxrss / 1024.0
        row["cpu_s"] = usage.ru_utime + usage.ru_stime  # the whole child: generating and reporting
        row["tree_pss_mib"] = memory.tree_peak_kib / 1024.0
        print("report step: %s" % row)
        rows.append(row)
    return rows


def result_sizes():
    """Bytes of one host's registered result as JSON, per captured state and detail."""
    with open(FIXTURE) as handle:
        fixture = json.load(handle)
    return dict((state, dict((detail, len(json.dumps(fixture["hosts"][state][detail], sort_keys=True)))
                             for detail in ("full", "report")))
                for state in sorted(fixture["hosts"]))


# --- the round trip: AnsiballZ payloads and module run time on the host -------------------------

def _zip_of(payload_text):
    match = re.search(r"zip_data='([A-Za-z0-9+/=]+)'", payload_text) or re.search(
        r'ZIPDATA = """([A-Za-z0-9+/=\s]+)"""', payload_text)
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(match.group(1))))


def payload_benchmark(runs=5):
    """Per module: the AnsiballZ file ansible sends per host per task (kept with
    ANSIBLE_KEEP_REMOTE_FILES), its largest members, and the median run time of that file with
    the target's Python (the module's own time on the host, without the connection)."""
    workdir = tempfile.mkdtemp(prefix="auditkit-payload-")
    rules_dir = os.path.join(workdir, "rules.d")
    os.makedirs(rules_dir)
    with open(os.path.join(rules_dir, "10-base.rules"), "w") as handle:
        handle.write(SEED)
    common = "rules_dir=%s arch=x86_64 profile=stig_rhel9" % rules_dir
    tasks = [
        ("ping", "ansible.builtin.ping", "", "floor"),
        ("audit_rules_info", "auditkit.auditd.audit_rules_info", common + " loaded=false detail=report",
         "drift_report, per host"),
        ("audit_rules_info (detail=full)", "auditkit.auditd.audit_rules_info", common + " loaded=false detail=full",
         "-e auditkit_detail=full"),
        ("audit_rules (check mode)", "auditkit.auditd.audit_rules",
         common + " compiled_file=%s/audit.rules" % workdir, "remediate, per host"),
        ("audit_rules_load (check mode)", "auditkit.auditd.audit_rules_load",
         "rules_dir=%s compiled_file=%s/audit.rules" % (rules_dir, workdir), "remediate's handler"),
    ]
    rows = []
    for label, module, args, role in tasks:
        remote_tmp = os.path.join(workdir, "remote-tmp-%d" % len(rows))
        env = environment({"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_PIPELINING": "0",
                           "ANSIBLE_REMOTE_TMP": remote_tmp, "ANSIBLE_STDOUT_CALLBACK": "default"})
        command = [os.path.join(BIN, "ansible"), "localhost", "-c", "local", "--check", "-m", module,
                   "-e", "ansible_python_interpreter=%s" % sys.executable]
        if args:
            command += ["-a", args]
        done = subprocess.run(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        kept = glob.glob(os.path.join(remote_tmp, "*", "AnsiballZ_*.py"))
        if not kept:
            print("payload: %s kept no file (rc=%d): %s" % (label, done.returncode, done.stdout[-600:]))
            continue
        with open(kept[0]) as handle:
            text = handle.read()
        members = _zip_of(text).infolist()
        ours = sum(m.compress_size for m in members if "ansible_collections/auditkit" in m.filename)
        largest = sorted(members, key=lambda m: -m.compress_size)[:3]
        times = []
        for _run in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, kept[0]], cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - start)
        rows.append({"label": label, "role": role, "bytes": len(text.encode("utf-8")), "ours_zip": ours,
                     "largest": ["%s (%.0f KiB)" % (m.filename.split("/")[-1], m.compress_size / 1024.0)
                                 for m in largest],
                     "run_ms": statistics.median(times) * 1000})
        print("payload: %s" % rows[-1])
    shutil.rmtree(workdir)
    return rows


# --- engine -----------------------------------------------------------------------------------

def engine_benchmark(lines=10000):
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
    text = "".join("-a always,exit -F arch=b64 -S openat,init_module -F auid=%d -k bench\n" % i for i in range(lines))
    start = time.perf_counter()
    files = [R.RulesFile("/bench/rules.d/%02d.rules" % i, "".join(text.splitlines(True)[i::10])) for i in range(10)]
    parsed = time.perf_counter()
    for name in PF.names():
        rules, _notes = PF.profile_rules(name, "x86_64")
        requirements = Q.parse_requirements([r.text for r in rules], "x86_64")
        E.evaluate(N.Snapshot("x86_64", rules_dir="/bench/rules.d", files=files), requirements)
    done = time.perf_counter()
    return lines, parsed - start, (done - parsed) / len(PF.names()), len(PF.names())


# --- the module at its input budget ---------------------------------------------------------------

BUDGET_INPUTS = (  # (name, one line of the file) at the default max_rules_lines (20,000)
    ("20,000 distinct rule lines", lambda i: "-a always,exit -F arch=b64 -S openat -F auid=%d -k bench\n" % i),
    ("20,000 identical rule lines (duplicate findings)",
     lambda i: "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k m\n"),
    ("20,000 lines, 16 MiB (comments)", lambda i: "# %s\n" % ("c" * 834)),
)
PEAK_OF_CHILD = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, len(done.stdout), done.returncode)")


def budget_benchmark():
    """audit_rules_info (detail=full, stig_rhel9) as its own process on the largest inputs the
    default max_rules_bytes / max_rules_lines accept: its peak RSS, time and result size."""
    rows = []
    workdir = tempfile.mkdtemp(prefix="auditkit-bench-budget-")
    for name, line in BUDGET_INPUTS:
        rules_dir = os.path.join(workdir, "rules.d")
        shutil.rmtree(rules_dir, ignore_errors=True)
        os.makedirs(rules_dir)
        with open(os.path.join(rules_dir, "50-bench.rules"), "w") as handle:
            handle.write("".join(line(i) for i in range(20000)))
        args_file = os.path.join(workdir, "args.json")
        with open(args_file, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"rules_dir": rules_dir, "compiled_file": os.path.join(workdir, "audit.rules"),
                                               "arch": "x86_64", "profile": "stig_rhel9", "loaded": False}}, handle)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, sys.executable,
                               os.path.join(ROOT, "plugins", "modules", "audit_rules_info.py"), args_file],
                              stdout=subprocess.PIPE, text=True, check=True,
                              env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "pytest")))
        peak_kib, result_bytes, rc = [int(word) for word in done.stdout.split()]
        rows.append({"input": name, "bytes": os.path.getsize(os.path.join(rules_dir, "50-bench.rules")),
                     "peak_mib": peak_kib / 1024.0, "seconds": time.perf_counter() - start,
                     "result_mib": result_bytes / 1024.0 / 1024.0, "rc": rc})
    shutil.rmtree(workdir)
    return rows


# --- the report -------------------------------------------------------------------------------

def machine():
    cores = os.cpu_count()
    with open("/proc/meminfo") as handle:
        memory = int(handle.readline().split()[1]) / 1024.0 / 1024.0
    versions = subprocess.run([os.path.join(BIN, "ansible"), "--version"], stdout=subprocess.PIPE, text=True,
                              check=True).stdout.splitlines()[0]
    docker = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], stdout=subprocess.PIPE,
                            text=True, check=False).stdout.strip() or "(daemon not running)"
    return "%d cores, %.1f GiB, %s, Python %s, %s, docker %s" % (
        cores, memory, platform.platform(), platform.python_version(), versions, docker)


DATA = os.path.join(ROOT, "docs", "benchmark-data.json")  # every part's last measurement, with its date


def _met(value, target):
    bound = float(target.split()[1])
    return value <= bound if target.startswith("<=") else value >= bound


def fleet_section(data):
    rows = dict((r["label"], r) for r in data["rows"])
    floor = rows["floor: ansible all -m ping"]["wall"]
    ratios = {"drift_report / floor": rows["drift_report (non-compliant hosts)"]["wall"] / floor,
              "remediate (2nd) / floor": rows["remediate, 2nd run"]["wall"] / floor,
              "CaC 1st / our 1st": rows["ComplianceAsCode, 1st run"]["wall"] / rows["remediate, 1st run"]["wall"]}
    cac_runs = data.get("cac_runs", data["runs"])
    cac_note = "" if cac_runs == data["runs"] else " (ComplianceAsCode's rows: %d)" % cac_runs
    out = ["## Fleet: %d containers, median of %d interleaved runs%s" % (data["hosts"], data["runs"], cac_note), "",
           "Measured %s. Local Debian 12 containers (`make image`), docker connection, forks 20, pipelining on, the "
           "same inventory for every row. Our rows use the `stig_rhel9` profile; ComplianceAsCode's are the tasks of "
           "`%s` extracted from `%s` at run time (their container and package gates removed). Tasks and remote module "
           "executions are counted per host from the json callback."
           % (data["date"], ", ".join(CAC_RULES), CAC_PLAYBOOK), "",
           "| Row | Wall (s) | Controller CPU (s) | Tasks per host | Remote module runs per host | x floor |",
           "|---|---|---|---|---|---|"]
    for row in data["rows"]:
        out.append("| %s | %.1f | %.1f | %d | %.1f | %.2f |"
                   % (row["label"], row["wall"], row["cpu"], row["tasks"], row["remote"], row["wall"] / floor))
    out += ["", "| Goal | Target | Measured | Met |", "|---|---|---|---|"]
    for name, target in GOALS:
        met = "yes" if _met(ratios[name], target) else "no"
        out.append("| %s | %s | %.2f | %s |" % (name, target, ratios[name], met))
    return out


def _mib(row, key):
    return "%.0f" % row[key] if row.get(key) is not None else "-"


def scaling_section(data):
    out = ["## Controller scaling: drift_report on local-connection hosts", "",
           "Measured %s. Each host has its own sandbox rules directory; files only (`auditkit_read_kernel=false`); "
           "forks 20; the default stdout callback (report task time: see the report step section; older rows timed "
           "it with the json callback). Memory is sampled every 0.5 s over ansible-playbook's process tree: the highest peak RSS "
           "(VmHWM) of any worker, the main process's, and the peak of the tree's summed PSS (shared pages counted "
           "once). Goal: no worker above %.0f MiB at 1,000 hosts." % (data["date"], WORKER_GOAL_MIB), "",
           "| Hosts | Wall (s) | Per host (ms) | Controller CPU (s) | Report task (s) | Worker peak RSS (MiB) "
           "| Main process peak RSS (MiB) | Tree peak PSS (MiB) |",
           "|---|---|---|---|---|---|---|---|"]
    for row in data["rows"]:
        out.append("| %d | %.1f | %.0f | %.1f | %s | %s | %s | %s |" % (
            row["hosts"], row["wall"], row["wall"] / row["hosts"] * 1000, row["cpu"],
            "%.2f" % row["report_s"] if row.get("report_s") is not None else "-",
            _mib(row, "worker_peak_mib"), _mib(row, "main_peak_mib"), _mib(row, "tree_pss_mib")))
    return out


def report_section(data):
    hosts, seconds, mib = REPORT_GOAL
    out = ["## Report step alone: synthetic fleets", "",
           "Measured %s. The report of N hosts in every format of `auditkit_report_formats` (report.json, summary.md, "
           "report.html, junit.xml, report.csv, one .cklb and one .ckl per host, and any format added since), "
           "run as the action plugin runs it (`audit_report_files.run_report`) in "
           "one process, on results generated from real `audit_rules_info` results (`%s`: three hosts, nothing / "
           "part / all covered, captured through ansible-playbook with `detail=report`, the form drift_report "
           "brings back), each host with its own name in its paths. Peak RSS is the process's (it starts no "
           "other); it includes the N results themselves, which the controller holds in any case. Goal: %d hosts "
           "in <= %.0f s and <= %.0f MiB." % (data["date"], os.path.relpath(FIXTURE, ROOT), hosts, seconds, mib), "",
           "| Hosts | Report wall (s) | Per host (ms) | Process CPU (s) | Peak RSS (MiB) | Of which the results (MiB) "
           "| Files | Written (MiB) | Goal met |", "|---|---|---|---|---|---|---|---|---|"]
    for row in data["rows"]:
        goal = "-"
        if row["hosts"] == hosts:
            goal = "yes" if row["report_s"] <= seconds and row["peak_mib"] <= mib else "no"
        out.append("| %d | %.1f | %.2f | %.1f | %.0f | %.0f | %d | %.0f | %s |" % (
            row["hosts"], row["report_s"], row["report_s"] / row["hosts"] * 1000, row["cpu_s"], row["peak_mib"],
            row["results_peak_mib"], row["files"], row["bytes_written"] / 1048576.0, goal))
    out += ["", "### What travels back per host", "",
            "One host's registered `audit_rules_info` result as JSON (bytes), from the fixture: `detail=report` "
            "(drift_report's default) keeps what the report reads; `detail=full` (`-e auditkit_detail=full`) "
            "everything.", "", "| Host state | detail=full | detail=report | report / full |", "|---|---|---|---|"]
    for state, sizes in sorted(data["result_sizes"].items()):
        out.append("| %s | %d | %d | %.0f%% |" % (state, sizes["full"], sizes["report"],
                                                  sizes["report"] * 100.0 / sizes["full"]))
    return out


def compare_section(data):
    hosts, seconds, mib = COMPARE_GOAL
    out = ["## Comparison with a baseline: synthetic fleets", "",
           "Measured %s. The report step of N hosts (all six formats) with `baseline` set to the report.json of an "
           "earlier run of the same N hosts (the same synthetic results as the report step, states rotated by one: "
           "a third of the hosts fixed, a third regressed, a third still failing), run as the action plugin runs it. "
           "Compare is reading the baseline and the comparison (`audit_report_compare.compare_reports`); the step is "
           "build, compare, render and write. Peak RSS is the process's, with the results, the report and the "
           "baseline. Goal: %d hosts compared in <= %.0f s, the whole step <= %.0f MiB." % (
               data["date"], hosts, seconds, mib), "",
           "| Hosts | Compare (s) | Whole step (s) | Peak RSS (MiB) | Fixed | Regressed | Still failing | Goal met |",
           "|---|---|---|---|---|---|---|---|"]
    for row in data["rows"]:
        goal = "-"
        if row["hosts"] == hosts:
            goal = "yes" if row["compare_s"] <= seconds and row["peak_mib"] <= mib else "no"
        counts = row["transitions"]
        out.append("| %d | %.1f | %.1f | %.0f | %d | %d | %d | %s |" % (
            row["hosts"], row["compare_s"], row["report_s"], row["peak_mib"], counts["fixed"], counts["regressed"],
            counts["still_failing"], goal))
    return out


def payload_section(data):
    floor = next(r for r in data["rows"] if r["label"] == "ping")
    out = ["## Round trip: AnsiballZ payload and run time on the host", "",
           "Measured %s. The file ansible sends per host per task (kept with `ANSIBLE_KEEP_REMOTE_FILES=1`; with "
           "pipelining the same bytes go through stdin), the compressed size of this collection's code in it, its "
           "largest members (compressed), and the median of 5 runs of that file with the target's Python on this "
           "machine (the module's own time on the host: interpreter start, unpacking, the module; no connection). "
           "Modules run in check mode on a sandbox rules directory, files only." % data["date"], "",
           "| Module | Used by | Payload (KiB) | Collection code in it (KiB, zipped) | Largest members | Run on host (ms) "
           "| x ping |", "|---|---|---|---|---|---|---|"]
    for row in data["rows"]:
        out.append("| %s | %s | %.0f | %.0f | %s | %.0f | %.2f |" % (
            row["label"], row["role"], row["bytes"] / 1024.0, row["ours_zip"] / 1024.0, ", ".join(row["largest"]),
            row["run_ms"], row["run_ms"] / floor["run_ms"]))
    return out


def engine_section(data):
    lines = data["lines"]
    return ["## Engine", "",
            "Measured %s. %d rule lines in 10 files, parsed once, then evaluated against each of the %d bundled "
            "profiles." % (data["date"], lines, data["profiles"]), "",
            "| Step | Total (s) | Per line (us) |", "|---|---|---|",
            "| parse | %.2f | %.1f |" % (data["parse"], data["parse"] / lines * 1e6),
            "| evaluate, per profile | %.2f | %.1f |" % (data["evaluate"], data["evaluate"] / lines * 1e6)]


def budget_section(data):
    out = ["## The module at its input budget", "",
           "Measured %s. `audit_rules_info` (detail=full, profile stig_rhel9, kernel not read) as its own process on "
           "the largest inputs the default `max_rules_lines` (20,000) and `max_rules_bytes` (16 MiB) accept; one line "
           "more fails the task naming the limit (issue 23: 768,606 lines once took 5.3 GB and returned 426 MB). "
           "Findings are capped at 1,000 and evidence at 100 lines per requirement view; detail=full still returns "
           "every parsed line (`files`), which detail=report (the drift_report playbook's) leaves out."
           % data["date"], "", "| Input | File (MiB) | Peak RSS (MiB) | Time (s) | Result (MiB) |", "|---|---|---|---|---|"]
    out += ["| %s | %.1f | %.0f | %.1f | %.1f |"
            % (r["input"], r["bytes"] / 1024.0 / 1024.0, r["peak_mib"], r["seconds"], r["result_mib"])
            for r in data["rows"]]
    return out


SECTIONS = (("fleet", fleet_section), ("scaling", scaling_section), ("report", report_section),
            ("compare", compare_section), ("payload", payload_section), ("engine", engine_section),
            ("budget", budget_section))


def write_markdown(data):
    out = ["# Benchmarks", "",
           "Written by `make bench` (`scripts/bench.py`) on %s UTC; each section says when it was measured (a run "
           "with `--parts` re-measures only those; the others come from `docs/benchmark-data.json`). Nothing in "
           "`make test` depends on timings." % datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), "",
           "Machine: %s." % machine(), ""]
    for part, render in SECTIONS:
        if part in data:
            out += render(data[part]) + [""]
    out += ["## Re-run", "", "```sh",
            "make bench                                   # everything: 20 containers x 3 runs, scaling 100/300/1000,",
            "                                             # report step 1,000/10,000/50,000, payloads",
            "BENCH_ARGS='--parts report,payload' make bench  # the cheap parts (a few minutes)",
            "BENCH_ARGS='--parts compare' make bench     # the comparison with a baseline, 1,000 and 10,000 hosts",
            "BENCH_ARGS='--parts fleet --hosts 20 --runs 3 --cac-runs 1' make bench  # ComplianceAsCode's rows once",
            "python scripts/bench.py --capture-fixture     # re-capture the report fixture", "```", ""]
    notes = os.path.join(ROOT, "docs", "benchmark-notes.md")  # the analysis is written by people
    if os.path.exists(notes):
        with open(notes) as handle:
            out += [handle.read()]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as handle:
        handle.write("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cac-runs", type=int, default=None,
                        help="runs of the ComplianceAsCode rows (about 5 min each at 20 hosts; default: --runs)")
    parser.add_argument("--scale", default="100,300,1000")
    parser.add_argument("--report-sizes", default="1000,10000,50000")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: %s" % ", ".join(PARTS))
    parser.add_argument("--report-step", type=int, help=argparse.SUPPRESS)  # the child of the report part
    parser.add_argument("--compare-sizes", default="1000,10000")
    parser.add_argument("--compare-step", type=int, help=argparse.SUPPRESS)  # the child of the compare part
    parser.add_argument("--capture-fixture", action="store_true", help="re-capture %s" % FIXTURE)
    args = parser.parse_args()
    if args.report_step:
        report_step(args.report_step)
        return
    if args.compare_step:
        compare_step(args.compare_step)
        return
    if args.capture_fixture:
        capture_fixture()
        return
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error("unknown parts: %s" % ", ".join(unknown))
    data = {}
    if os.path.exists(DATA):
        with open(DATA) as handle:
            data = json.load(handle)
    today = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    if "fleet" in parts:
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "build_image.sh"), IMAGE], check=True)
    if "engine" in parts:
        lines, parse, evaluate, profiles = engine_benchmark()
        data["engine"] = {"date": today, "lines": lines, "parse": parse, "evaluate": evaluate, "profiles": profiles}
    if "budget" in parts:
        data["budget"] = {"date": today, "rows": budget_benchmark()}
    if "payload" in parts:
        data["payload"] = {"date": today, "rows": payload_benchmark()}
    if "report" in parts:
        data["report"] = {"date": today, "rows": report_benchmark([int(n) for n in args.report_sizes.split(",")]),
                          "result_sizes": result_sizes()}
    if "compare" in parts:
        data["compare"] = {"date": today, "rows": compare_benchmark([int(n) for n in args.compare_sizes.split(",")])}
    if "fleet" in parts:
        data["fleet"] = dict(fleet_benchmark(args.hosts, args.runs, args.cac_runs), date=today)
    if "scaling" in parts:
        data["scaling"] = {"date": today, "rows": scaling_benchmark([int(n) for n in args.scale.split(",")])}
    measured = dict((part, data[part]) for part in parts if part in data)
    if os.path.exists(DATA):  # another bench run may have saved other parts meanwhile
        with open(DATA) as handle:
            data = json.load(handle)
    data.update(measured)
    with open(DATA, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    write_markdown(data)
    print("BENCHMARKS.md written")


if __name__ == "__main__":
    main()
