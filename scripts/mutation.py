# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mutation testing of the engine and the report builder with mutmut -> docs/mutation.md.

mutmut copies the code into mutants/ and names each mutant after the dotted module path of its
file, so it runs in .build/mutation, where ansible_collections/auditkit/auditd links to this tree:
the copy in .build/mutation/mutants/ansible_collections/auditkit/auditd is then the collection
that tests/conftest.py puts on sys.path, and the mutants' names are the names the tests import.
mutmut first runs the unit tests once to learn which tests reach which function, then runs only
those for each mutant (its per-function test selection).

    nice -n 19 python scripts/mutation.py [--files audit_coverage.py ...] [--max-children 2]
    python scripts/mutation.py --report-only     # rewrite docs/mutation.md from the last run

Survivors that are equivalent (no test can tell them from the original) are explained in
scripts/mutation_equivalent.yml, by mutant name; the page lists every other survivor as such.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build", "mutation")
COLLECTION = "ansible_collections/auditkit/auditd"
MODULE_UTILS = COLLECTION + "/plugins/module_utils"
PAGE = os.path.join(ROOT, "docs", "mutation.md")
EQUIVALENT = os.path.join(ROOT, "scripts", "mutation_equivalent.yml")
RESULTS = os.path.join(WORK, "results.json")
MUTMUT = os.path.join(os.path.dirname(sys.executable), "mutmut")

ENGINE = ("audit_parser.py", "audit_fields.py", "audit_arch.py", "audit_semantics.py", "audit_ruleset.py",
          "audit_coverage.py", "audit_requirements.py", "audit_evaluate.py", "audit_plan.py", "audit_load.py",
          "audit_snapshot.py", "audit_versions.py")
REPORT_BUILDER = ("audit_report_document.py", "audit_report_html.py")
# the engine and report builder tests (the module tests share ansible-core state mutmut would reorder)
TESTS = ("tests/unit/plugins/module_utils",)

# Run inside WORK by a child Python: mutmut's own reading of its results (status names, diffs).
COLLECT = r"""
import json, sys
from mutmut.__main__ import SourceFileMutationData, get_diff_for_mutant, walk_mutatable_files
from mutmut.stats import status_by_exit_code
out = {}
for path in walk_mutatable_files():
    data = SourceFileMutationData(path=path)
    data.load()
    for name, code in data.exit_code_by_key.items():
        status = status_by_exit_code[code]
        entry = {"file": str(path).rsplit("/", 1)[-1], "status": status}
        if status not in ("killed", "timeout", "caught by type check", "not checked"):
            entry["diff"] = get_diff_for_mutant(name, path=path)
        out[name] = entry
json.dump(out, open(sys.argv[1], "w"), indent=1, sort_keys=True)
"""


def _setup_cfg(files):
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True, check=True).stdout
    top = sorted(set(path.split("/")[0] for path in tracked.split()) - {"plugins"})
    lines = ["[mutmut]", "source_paths = %s/plugins" % COLLECTION, "only_mutate ="]
    lines += ["    %s/%s" % (MODULE_UTILS, name) for name in files]
    lines += ["also_copy ="] + ["    %s/%s" % (COLLECTION, name) for name in top]
    lines += ["pytest_add_cli_args_test_selection ="] + ["    %s/%s" % (COLLECTION, t) for t in TESTS]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider", "    -q"]
    return "\n".join(lines) + "\n"


def prepare(files, fresh):
    link = os.path.join(WORK, COLLECTION)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(ROOT, link)
    if fresh and os.path.isdir(os.path.join(WORK, "mutants")):
        shutil.rmtree(os.path.join(WORK, "mutants"))
    with open(os.path.join(WORK, "setup.cfg"), "w") as handle:
        handle.write(_setup_cfg(files))


def _meta_files():
    folder = os.path.join(WORK, "mutants", MODULE_UTILS)
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".py.meta")]


def survivors(names):
    """Of ``names``, those that survived their last run (to run again after new tests)."""
    wanted, out = set(names), []
    for path in _meta_files():
        with open(path) as handle:
            codes = json.load(handle)["exit_code_by_key"]
        out += [name for name, code in codes.items() if name in wanted and code == 0]
    return sorted(out)


def sample(every):
    """Every ``every``-th mutant of each file (by name), those without a result first: a subset
    that finishes in the time there is; the page says it is one."""
    chosen, pending = [], []
    for path in _meta_files():
        with open(path) as handle:
            codes = json.load(handle)["exit_code_by_key"]
        names = sorted(codes, key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("__mutmut_", 1)[1])))
        for index, name in enumerate(names):
            if index % every == 0:
                chosen.append(name)
                if codes[name] is None:
                    pending.append(name)
    return chosen, pending


def run(max_children, names=()):
    started = time.time()
    with open(os.path.join(WORK, "run.log"), "w") as log:
        done = subprocess.run([MUTMUT, "run", "--max-children", str(max_children)] + list(names), cwd=WORK,
                              stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        sys.exit("mutmut run failed (rc %d): see %s" % (done.returncode, os.path.join(WORK, "run.log")))
    return time.time() - started


def collect():
    subprocess.run([sys.executable, "-c", COLLECT, RESULTS], cwd=WORK, check=True)
    with open(RESULTS) as handle:
        return json.load(handle)


def _equivalents():
    if not os.path.exists(EQUIVALENT):
        return {}
    with open(EQUIVALENT) as handle:
        return yaml.safe_load(handle) or {}


def _counts(results, files):
    rows = []
    for name in files:
        statuses = [r["status"] for r in results.values() if r["file"] == name]
        killed = sum(1 for s in statuses if s in ("killed", "timeout"))
        rows.append((name, len(statuses), killed, statuses.count("survived"), statuses.count("no tests")))
    return rows


def _score(killed, total):
    return "%.1f%%" % (100.0 * killed / total) if total else "-"


def _changed_lines(diff):
    """The removed and added lines of a mutant's diff (its file and function are in the heading)."""
    return "\n".join(line for line in diff.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++", "---")))


def page(results, files, measured):
    equivalent = _equivalents()
    unchecked = len([r for r in results.values() if r["status"] == "not checked"])
    results = dict((n, r) for n, r in results.items() if r["status"] != "not checked")
    rows = _counts(results, files)
    total, killed = sum(r[1] for r in rows), sum(r[2] for r in rows)
    explained = [n for n, r in results.items() if r["status"] != "killed" and n in equivalent]
    subset = "%d of the %d mutants tested" % (total, total + unchecked)
    if unchecked:
        subset += (" (runs stopped for time: mutmut tests the mutants whose tests are fastest first, so the"
                   " untested ones are those with the slowest tests)")
    out = ["# Mutation testing", "",
           "Generated by `make mutation` (scripts/mutation.py, mutmut); do not edit. Each mutant is one small",
           "change to the engine or the report builder; the unit tests that reach the changed function must fail",
           "(tests/unit/plugins/module_utils, only those mutmut saw reach it). A mutant that survives is either",
           "killed by a new test or explained below as equivalent (scripts/mutation_equivalent.yml).", "",
           "Measured %s, **before the layout move** (issue 26 records the score after it): %s, %d min with %d "
           "workers at nice 19 on a CPU shared by other jobs."
           % (datetime.date.today().isoformat(), subset, round(measured["seconds"] / 60.0), measured["max_children"]),
           "",
           "**Score: %s killed** (%d of %d mutants); %s counting the %d explained equivalent ones as not mutants."
           % (_score(killed, total), killed, total, _score(killed, total - len(explained)), len(explained)), "",
           "| File | Mutants | Killed | Survived | No test reaches it | Score |", "|---|---|---|---|---|---|"]
    for name, count, dead, survived, untested in rows:
        out.append("| `%s` | %d | %d | %d | %d | %s |" % (name, count, dead, survived, untested, _score(dead, count)))
    out += ["", "## Surviving mutants", ""]
    for name in sorted(n for n, r in results.items() if r["status"] not in ("killed", "timeout")):
        entry = results[name]
        why = equivalent.get(name)
        out += ["### `%s` (%s)" % (name.rsplit(".", 1)[-1], entry["status"]), "",
                "%s: %s" % (entry["file"], ("equivalent - " + why) if why else "not yet killed by a test"), "",
                "```diff", _changed_lines(entry.get("diff", "")), "```", ""]
    with open(PAGE, "w") as handle:
        handle.write("\n".join(out).rstrip() + "\n")
    return _score(killed, total)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--files", nargs="+", default=list(ENGINE + REPORT_BUILDER),
                        help="module_utils files to mutate (default: the engine and the report builder)")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="forget the results of earlier runs")
    parser.add_argument("--sample", type=int, default=1, metavar="N",
                        help="only every N-th mutant of each file (needs the mutants of an earlier run)")
    parser.add_argument("--survivors", action="store_true",
                        help="run the mutants (of the sample) that survived their last run again, with today's tests")
    parser.add_argument("--report-only", action="store_true", help="rewrite docs/mutation.md from the last run")
    args = parser.parse_args()
    timing = os.path.join(WORK, "run.json")
    if not args.report_only:
        prepare(args.files, args.fresh)
        chosen, pending = sample(args.sample) if args.sample > 1 else (None, ())
        if args.survivors:
            pending = survivors(chosen if chosen is not None else sample(1)[0])
        everything = chosen is None and not args.survivors  # no names: mutmut runs every mutant
        seconds = run(args.max_children, pending) if everything or pending else 0.0
        earlier = {}
        if os.path.exists(timing) and not args.fresh:
            with open(timing) as handle:
                earlier = json.load(handle)
        with open(timing, "w") as handle:  # the time of every run since --fresh
            json.dump({"seconds": seconds + earlier.get("seconds", 0.0), "max_children": args.max_children}, handle)
    with open(timing) as handle:
        measured = json.load(handle)
    score = page(collect(), args.files, measured)
    print("mutation score %s; written %s" % (score, os.path.relpath(PAGE, ROOT)))


if __name__ == "__main__":
    main()
