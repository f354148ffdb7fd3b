# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_evaluate and the pure parts around it: the Snapshot it judges (audit_snapshot), the
MatchPolicy it judges with, drift between disk and kernel, and the judgement of a load
(audit_load), which counts the same multiset difference as the drift findings."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_evaluate as E
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_load as L
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_plan as PL
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
INIT_LISTED = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng"
WATCH = "-w /sbin/insmod -p x -k modules"
WATCH_LISTED = "-w /sbin/insmod -p x -k modules"
REORDERED = "-a always,exit -F arch=b64 -S finit_module,init_module -F auid!=unset -F auid>=1000 -k module_chng"


def _snapshot(text, listing=None, mode="auditctl"):
    files = [R.RulesFile("/r/audit.rules", text)]
    kernel = N.KernelState(listing=listing, status={"enabled": 1}) if listing is not None else None
    return N.Snapshot("x86_64", mode=mode, rules_dir="/r", files=files, compiled_path="/r/audit.rules",
                      kernel=kernel)


# --- Snapshot ------------------------------------------------------------------------------------

def test_snapshot_is_built_by_keyword_and_replace_keeps_every_other_fact():
    snapshot = _snapshot("-D\n" + INIT + "\n", INIT_LISTED + "\n")
    with pytest.raises(TypeError):
        N.Snapshot("x86_64", "auditctl")  # only the machine may be positional
    copy = snapshot.replace(kernel=None)
    assert copy is not snapshot and copy.kernel is None and snapshot.kernel is not None
    assert [getattr(copy, f) for f in N.Snapshot.FIELDS if f != "kernel"] == \
        [getattr(snapshot, f) for f in N.Snapshot.FIELDS if f != "kernel"]
    with pytest.raises(TypeError, match="no field colour"):
        snapshot.replace(colour="blue")


def test_host_facts_of_a_rule():
    rule = R.parse_items("-a always,exit -F dir=/var/log -F uid=nobody -F gid=adm -S all -k x\n", "f")[0][1]
    assert N.rule_paths(rule) == [("/var/log", "dir")]
    assert N.rule_names(rule) == [("user", "nobody"), ("group", "adm")]
    N.apply_names([rule], {("user", "nobody"): 65534, ("group", "adm"): False})
    assert N.rule_names(rule) == [("group", "adm")]  # a name that does not resolve stays a name
    assert N.watched_paths([R.RulesFile("/r/a.rules", WATCH + "\n-a always,exit -F path=/bin/kmod -F perm=x\n")]) == \
        ["/bin/kmod", "/sbin/insmod"]


# --- MatchPolicy ---------------------------------------------------------------------------------

def test_match_policy_has_its_defaults_in_one_place_and_refuses_unknown_values():
    assert S.MatchPolicy() == S.DEFAULT_POLICY == S.MatchPolicy("strict", "any")
    assert S.MatchPolicy(key_policy="exact").match == "strict"
    with pytest.raises(ValueError, match="match must be one of strict, coverage"):
        S.MatchPolicy("loose")
    with pytest.raises(ValueError, match="key_policy must be one of any, exact"):
        S.MatchPolicy(key_policy="some")


def test_evaluate_judges_with_the_policy_it_is_given():
    broader = "-a always,exit -F arch=b64 -S init_module,finit_module -k other"
    snapshot = _snapshot("-D\n" + broader + "\n")
    requirements = Q.parse_requirements([INIT], "x86_64")
    for requirement in requirements:
        requirement.canon = S.canonical(requirement.effective, "x86_64")
    statuses = dict((policy, E.evaluate(snapshot, requirements, policy)["requirements"][0]["status"])
                    for policy in (S.MatchPolicy(), S.MatchPolicy("coverage"), S.MatchPolicy("coverage", "exact")))
    assert statuses == {S.MatchPolicy(): "fail", S.MatchPolicy("coverage"): "pass",
                        S.MatchPolicy("coverage", "exact"): "fail"}
    assert E.evaluate(snapshot, requirements)["requirements"][0]["status"] == "fail"  # strict, any by default


# --- drift and what a load left out: one multiset difference -------------------------------------

def test_unmatched_is_a_multiset_difference_both_ways():
    disk = R.simulate_load(R.parse_items("-D\n%s\n%s\n%s\n" % (INIT, WATCH, REORDERED), "f"), "x86_64").rules()
    kernel = R.simulate_load(R.kernel_items("%s\n-w /sbin/modprobe -p x -k modules\n" % INIT_LISTED), "x86_64",
                             continue_on_error=True).rules()
    only_disk, only_kernel = R.unmatched(disk, kernel)
    assert [(l.source.line, l.rule.text) for l in only_disk] == [(3, WATCH), (4, REORDERED)]  # the 2nd INIT
    assert [l.rule.text for l in only_kernel] == ["-w /sbin/modprobe -p x -k modules"]


def test_drift_findings_and_missing_in_kernel_count_the_same_rules():
    text = "-D\n%s\n%s\n%s\n" % (INIT, WATCH, REORDERED)
    listing = "%s\n-w /sbin/modprobe -p x -k modules\n" % INIT_LISTED
    snapshot = _snapshot(text, listing)
    findings = E.evaluate(snapshot, [])["findings"]
    drift = dict((kind, [(f["line"], f["text"]) for f in findings if f["kind"] == kind])
                 for kind in ("persisted_not_loaded", "loaded_not_persisted"))
    assert drift == {"persisted_not_loaded": [(3, WATCH), (4, REORDERED)],
                     "loaded_not_persisted": [(2, "-w /sbin/modprobe -p x -k modules")]}
    missing = L.missing_in_kernel(E.Context(snapshot), listing)
    assert [(m["line"], m["text"]) for m in missing] == drift["persisted_not_loaded"]
    reordered_listed = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid!=-1 -F auid>=1000 -F key=module_chng"
    assert L.missing_in_kernel(E.Context(snapshot), "%s\n%s\n%s\n" % (INIT_LISTED, WATCH_LISTED, reordered_listed)) == []


# --- judging a load --------------------------------------------------------------------------------

def test_validation_errors_name_every_line_auditctl_would_reject():
    snapshot = _snapshot("%s\n-a always,exit -S nosuchcall\n" % INIT, INIT_LISTED + "\n")
    errors = L.validation_errors(E.Context(snapshot))
    assert len(errors) == 2 and errors[0].startswith("/r/audit.rules:2: ") and "nosuchcall" in errors[0]
    assert errors[1].startswith("/r/audit.rules:1: already in the kernel and no -D clears it first")
    assert L.validation_errors(E.Context(_snapshot("-D\n%s\n" % INIT, INIT_LISTED + "\n"))) == []


def test_source_of_error_follows_the_compiled_file_back_to_rules_d():
    files = [R.RulesFile("/r/10-base.rules", "-D\n"), R.RulesFile("/r/50-new.rules", "# new\n%s\n" % INIT)]
    snapshot = N.Snapshot("x86_64", rules_dir="/r", files=files, compiled_path="/etc/audit/audit.rules")
    number = R.compiled_text(snapshot.compile()).split("\n").index(INIT) + 1
    output = "There was an error in line %d of /etc/audit/audit.rules" % number
    assert L.source_of_error(snapshot, output) == "/r/50-new.rules:2 (line %d of /etc/audit/audit.rules)" % number
    assert L.source_of_error(snapshot.replace(mode="auditctl"), output) == "/etc/audit/audit.rules:%d" % number
    assert L.source_of_error(snapshot, "Error sending add rule data request") is None


# --- undecodable bytes: one detector for findings, plans and results ----------------------------------

def test_one_detector_of_undecodable_bytes_serves_findings_plans_and_results():
    text = b"-D\n# r\xe9gle\n-w /sbin/insmod -p x -k modules\n".decode("utf-8", "surrogateescape")
    assert R.first_undecodable_line(text) == (2, text.split("\n")[1])
    assert R.first_undecodable_line("-D\n\u00e9\n") == (None, None)  # decoded UTF-8 is not undecodable
    snapshot = N.Snapshot("x86_64", rules_dir="/r", files=[R.RulesFile("/r/a.rules", text, invalid_utf8=True)])
    finding = [f for f in E.evaluate(snapshot, [])["findings"] if f["kind"] == "invalid_utf8"][0]
    assert (finding["file"], finding["line"]) == ("/r/a.rules", 2)
    plan = PL.Plan()
    plan.texts = {"/r/b.rules": text, "/r/c.rules": "-D\n"}
    planned = dict((f.path, f.invalid_utf8) for f in PL.apply_plan(snapshot, plan).files)
    assert planned == {"/r/a.rules": True, "/r/b.rules": True, "/r/c.rules": False}
    M.check_result({"text": text})  # guard() shows the bytes as \xNN at exit
    assert M.printable(text).split("\n")[1] == "# r\\xe9gle"
    with pytest.raises(TypeError):
        M.check_result({"text": b"bytes"})


# --- what the kernel holds decides a setting; findings quote the kernel's own line ----------------

def _setting_entry(text, kernel_status):
    snapshot = N.Snapshot("x86_64", mode="auditctl", rules_dir="/r", files=[R.RulesFile("/r/audit.rules", text)],
                          compiled_path="/r/audit.rules", kernel=N.KernelState(listing="", status=kernel_status))
    requirements = Q.parse_requirements(["-b 8192"], "x86_64", allow_control=True)
    return E.evaluate(snapshot, requirements)["requirements"][0]


def test_a_setting_on_disk_but_not_in_the_kernel_fails():
    entry = _setting_entry("-D\n-b 8192\n", {"enabled": 1, "backlog_limit": 320})
    assert (entry["status"], entry["reason"]) == ("fail", "-b 8192 is not in effect")
    assert entry["in_kernel"] == {"status": "missing", "value": 320}
    entry = _setting_entry("-D\n-b 8192\n", {"enabled": 1, "backlog_limit": 8192})
    assert (entry["status"], entry["reason"]) == ("pass", "set on disk and in the kernel")


def test_unreadable_kernel_line_is_quoted_as_the_kernel_listed_it():
    listing = "-w /sbin/insmod -p x -k modules\n-a bogus line\n-w /usr/bin/kmod -p x -k modules\n"
    findings = E.evaluate(_snapshot("-D\n", listing), [])["findings"]
    unparsed = [(f["file"], f["line"], f["text"]) for f in findings if f["kind"] == "kernel_rule_unparsed"]
    assert unparsed == [("auditctl -l", 2, "-a bogus line")]


def _setting_entry_on(text, kernel_status):
    kernel = N.KernelState(listing="", status=kernel_status) if kernel_status is not None else None
    snapshot = N.Snapshot("x86_64", mode="auditctl", rules_dir="/r", files=[R.RulesFile("/r/audit.rules", text)],
                          compiled_path="/r/audit.rules", kernel=kernel)
    requirements = Q.parse_requirements(["-b 8192"], "x86_64", allow_control=True)
    return E.evaluate(snapshot, requirements)["requirements"][0]


SETTING_COMMON = {"rule": "-b 8192", "controls": [], "catalog_controls": [], "advisory": False, "notes": [],
                  "effective": "-b 8192", "commented_out": [], "warnings": []}


@pytest.mark.parametrize("text, kernel_status, expected", [
    ("-D\n-b 8192\n", {"enabled": 1, "backlog_limit": 8192}, dict(
        SETTING_COMMON, status="pass", reason="set on disk and in the kernel", missing=[],
        on_disk={"status": "covered", "evidence": [{"file": "/r/audit.rules", "line": 2, "text": "-b 8192"}], "suppressed_by": [],
                 "missing_syscalls": []},
        in_kernel={"status": "covered", "value": 8192})),
    ("-D\n-b 8192\n", None, dict(
        SETTING_COMMON, status="pass", reason="set on disk", missing=[], in_kernel=None,
        on_disk={"status": "covered", "evidence": [{"file": "/r/audit.rules", "line": 2, "text": "-b 8192"}], "suppressed_by": [],
                 "missing_syscalls": []})),
    ("-D\n-b 320\n", {"enabled": 1, "backlog_limit": 8192}, dict(
        SETTING_COMMON, status="fail", reason="-b 8192 is not in effect", missing=["-b 8192"],
        on_disk={"status": "missing", "evidence": [{"file": "/r/audit.rules", "line": 2, "text": "-b 320"}], "suppressed_by": [],
                 "missing_syscalls": []},
        in_kernel={"status": "covered", "value": 8192})),
    ("-D\n", {"enabled": 1, "backlog_limit": 320}, dict(
        SETTING_COMMON, status="fail", reason="-b 8192 is not in effect", missing=["-b 8192"],
        on_disk={"status": "missing", "evidence": [], "suppressed_by": [], "missing_syscalls": []},
        in_kernel={"status": "missing", "value": 320})),
])
def test_setting_verdict_in_full(text, kernel_status, expected):
    assert _setting_entry_on(text, kernel_status) == expected


@pytest.mark.parametrize("line", [1, 3])
def test_unreadable_kernel_line_first_or_last_is_quoted(line):
    lines = ["-w /sbin/insmod -p x -k modules", "-w /usr/bin/kmod -p x -k modules"]
    lines.insert(line - 1, "-a bogus line")
    findings = E.evaluate(_snapshot("-D\n", "\n".join(lines) + "\n"), [])["findings"]
    assert [(f["line"], f["text"]) for f in findings if f["kind"] == "kernel_rule_unparsed"] == [(line, "-a bogus line")]


def test_validation_error_for_a_rule_already_in_the_kernel_says_so_in_full():
    errors = L.validation_errors(E.Context(_snapshot("%s\n" % INIT, INIT_LISTED + "\n")))
    assert errors == ["/r/audit.rules:1: already in the kernel and no -D clears it first: auditctl would stop "
                      "(Rule exists); add -D at the top of the rules"]


def test_missing_in_kernel_reads_a_listing_past_a_line_it_cannot_parse():
    snapshot = _snapshot("-D\n%s\n%s\n" % (INIT, WATCH), "")
    listing = "-a bogus line\n%s\n%s\n" % (INIT_LISTED, WATCH_LISTED)
    assert L.missing_in_kernel(E.Context(snapshot), listing) == []
    assert L.missing_in_kernel(E.Context(snapshot), "-a bogus line\n%s\n" % INIT_LISTED) == [
        {"file": "/r/audit.rules", "line": 3, "text": WATCH}]


@pytest.mark.parametrize("where", ["first", "last"])
def test_source_of_error_at_the_first_and_last_compiled_line(where):
    files = [R.RulesFile("/r/10-base.rules", INIT + "\n"), R.RulesFile("/r/50-new.rules", WATCH + "\n")]
    snapshot = N.Snapshot("x86_64", rules_dir="/r", files=files, compiled_path="/etc/audit/audit.rules")
    compiled = R.compiled_text(snapshot.compile()).rstrip("\n").split("\n")
    text = INIT if where == "first" else WATCH
    number = compiled.index(text) + 1
    output = "There was an error in line %d of /etc/audit/audit.rules" % number
    source = "/r/10-base.rules:1" if where == "first" else "/r/50-new.rules:1"
    assert L.source_of_error(snapshot, output) == "%s (line %d of /etc/audit/audit.rules)" % (source, number)


def test_a_commented_out_rule_that_would_cover_the_requirement_is_pointed_at():
    broader = "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k other"
    snapshot = _snapshot("-D\n#%s\n# not a rule at all\n# -w /etc/passwd -p wa\n" % broader)
    requirements = Q.parse_requirements([INIT], "x86_64")
    for requirement in requirements:
        requirement.canon = S.canonical(requirement.effective, "x86_64")
    entry = E.evaluate(snapshot, requirements)["requirements"][0]
    assert entry["status"] == "fail"
    assert entry["commented_out"] == [{"file": "/r/audit.rules", "line": 2, "text": "#" + broader}]


# --- every finding in full (kind, severity, message, where, text): what a user reads ----------------

NEVER = "-a never,exit -F arch=b64 -S init_module"
PERSISTED_NOT_LOADED = "persisted but not in the kernel: load the rules (augenrules --load)"


def _findings(files, kernel, compiled=None, required=()):
    snapshot = N.Snapshot("x86_64", mode="augenrules", rules_dir="/r", files=files, compiled_path="/r/audit.rules",
                          compiled=compiled, kernel=kernel)
    requirements = Q.parse_requirements(list(required), "x86_64")
    for requirement in requirements:
        requirement.canon = S.canonical(requirement.effective, "x86_64")
    return E.evaluate(snapshot, requirements)["findings"]


def test_findings_of_a_suppressing_never_rule_e2_and_a_locked_kernel_in_full():
    files = [R.RulesFile("/r/50-x.rules", "%s\n%s\n-e 2\n" % (NEVER, INIT))]
    kernel = N.KernelState(listing="-w /sbin/insmod -p x -k modules\n-a bogus\n", status={"enabled": 2})
    assert _findings(files, kernel, required=[INIT]) == [
        {"kind": "suppressed", "severity": "error", "file": "/r/50-x.rules", "line": 1, "text": NEVER,
         "message": "drops events of %s before any rule records them (first match wins)" % INIT, "requirement": INIT},
        {"kind": "compiled_missing", "severity": "warning", "file": "/r/audit.rules", "line": None, "text": None,
         "message": "/r/audit.rules does not exist or cannot be read: run augenrules"},
        {"kind": "loaded_not_persisted", "severity": "warning", "file": "auditctl -l", "line": 1,
         "text": "-w /sbin/insmod -p x -k modules",
         "message": "in the kernel but not in the persisted rules: lost at the next load or boot"},
        {"kind": "persisted_not_loaded", "severity": "warning", "file": "/r/50-x.rules", "line": 1, "text": NEVER,
         "message": PERSISTED_NOT_LOADED},
        {"kind": "persisted_not_loaded", "severity": "warning", "file": "/r/50-x.rules", "line": 2, "text": INIT,
         "message": PERSISTED_NOT_LOADED},
        {"kind": "immutable_on_disk", "severity": "warning", "file": "/r/50-x.rules", "line": 3, "text": "-e 2",
         "message": "-e 2 locks the rules once loaded: later changes need a reboot"},
        {"kind": "kernel_immutable", "severity": "warning", "file": None, "line": None, "text": None,
         "message": "the kernel's audit rules are locked (enabled 2): changes need a reboot"},
        {"kind": "kernel_rule_unparsed", "severity": "info", "file": "auditctl -l", "line": 2, "text": "-a bogus",
         "message": "cannot read this auditctl -l line back: expected list,action such as always,exit, not 'bogus'"},
        {"kind": "no_delete_all", "severity": "warning", "file": None, "line": None, "text": None,
         "message": "the persisted rules do not start with -D: auditctl -R appends to the kernel's rules and stops "
                    "at the first one already loaded (Rule exists)"},
    ]


def test_findings_of_a_stale_compiled_file_and_an_unreadable_kernel_in_full():
    files = [R.RulesFile("/r/50-x.rules", "-D\n%s\n" % INIT)]
    compiled = R.RulesFile("/r/audit.rules", "-D\n-w /sbin/insmod -p x\n")
    assert _findings(files, N.KernelState(reason="not root"), compiled) == [
        {"kind": "compiled_stale", "severity": "warning", "file": "/r/audit.rules", "line": None, "text": None,
         "message": "/r/audit.rules is not what augenrules builds from /r (first difference at rule line 2: expected "
                    "%r, found '-w /sbin/insmod -p x'): augenrules --load will change the kernel's rules" % INIT},
        {"kind": "kernel_unreadable", "severity": "warning", "file": None, "line": None, "text": None,
         "message": "the kernel's audit rules could not be read: not root"},
    ]
