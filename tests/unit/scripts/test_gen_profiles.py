# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/gen_profiles.py on a copy of the checkout: --check names a stale generated file or
region, regenerating restores it byte for byte, and a file without its region markers stops the
generator with a message naming the file. (test_audit_profiles keeps the checkout itself up to
date and judges the role's tags and choices against audit_profiles.)"""
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join("scripts", "gen_profiles.py")
_SPEC = importlib.util.spec_from_file_location("gen_profiles", os.path.join(ROOT, SCRIPT))
GEN = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(GEN)

OUTPUTS = sorted(os.path.relpath(path, ROOT) for path in GEN.build())
REGION_FILES = sorted(os.path.relpath(path, ROOT)
                      for path in (GEN.TAGS_TASKS, GEN.TAGS_VARS, GEN.ROLE_SPECS, GEN.PROFILE_FRAGMENT))


@pytest.fixture
def checkout(tmp_path):
    """The generator, its data and every file it writes, copied under tmp_path."""
    for relative in [SCRIPT, os.path.join("data", "controls.yml"), os.path.join("data", "profiles.yml"),
                     os.path.join("data", "disa_stig.yml")] + OUTPUTS:
        os.makedirs(str(tmp_path / os.path.dirname(relative)), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, relative), str(tmp_path / relative))
    return tmp_path


def _run(checkout, *args):
    return subprocess.run([sys.executable, str(checkout / SCRIPT)] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def _read(path):
    with open(str(path)) as handle:
        return handle.read()


def _write(path, text):
    with open(str(path), "w") as handle:
        handle.write(text)


def test_every_region_file_is_among_the_outputs_and_has_one_region():
    assert set(REGION_FILES) <= set(OUTPUTS)
    for relative in REGION_FILES:
        lines = [line.strip() for line in _read(os.path.join(ROOT, relative)).splitlines()]
        assert lines.count(GEN.REGION_BEGIN) == 1 and lines.count(GEN.REGION_END) == 1, relative


def test_check_fails_on_a_hand_edited_control_tag_and_regenerating_restores_it(checkout):
    tasks = checkout / "roles" / "module_loading" / "tasks" / "main.yml"
    original = _read(tasks)
    assert original.count("\n    - V-274091\n") == 1
    _write(tasks, original.replace("\n    - V-274091\n", "\n    - V-274099\n"))
    done = _run(checkout, "--check")
    assert done.returncode == 1
    assert done.stdout.strip() == ("roles/module_loading/tasks/main.yml is out of date (generated from data/): "
                                   "run python scripts/gen_profiles.py")
    assert "V-274099" in _read(tasks)  # --check writes nothing
    assert _run(checkout).returncode == 0
    assert _read(tasks) == original
    assert _run(checkout, "--check").returncode == 0


@pytest.mark.parametrize("relative", REGION_FILES)
def test_check_names_each_stale_region_and_regenerating_keeps_the_rest_byte_for_byte(checkout, relative):
    path = checkout / relative
    original = _read(path)
    lines = original.splitlines(True)
    end = next(n for n, line in enumerate(lines) if line.strip() == GEN.REGION_END)
    _write(path, "".join(lines[:end - 1] + lines[end:]))  # the region's last generated line lost
    done = _run(checkout, "--check")
    assert done.returncode == 1 and done.stdout.splitlines() == [
        "%s is out of date (generated from data/): run python scripts/gen_profiles.py" % relative]
    assert _run(checkout).returncode == 0
    assert _read(path) == original


def test_check_names_every_stale_file(checkout):
    for relative in REGION_FILES:
        _write(checkout / relative, _read(checkout / relative).replace("stig_rhel8,", "").replace("V-258189", "V-1"))
    done = _run(checkout, "--check")
    assert done.returncode == 1
    assert sorted(line.split(" ")[0] for line in done.stdout.splitlines()) == REGION_FILES


def test_a_file_without_its_region_markers_stops_the_generator_naming_it(checkout):
    specs = checkout / "roles" / "module_loading" / "meta" / "argument_specs.yml"
    _write(specs, "".join(line for line in _read(specs).splitlines(True) if line.strip() != GEN.REGION_END))
    before = _read(specs)
    for args in (["--check"], []):
        done = _run(checkout, *args)
        assert done.returncode == 1
        assert done.stdout.startswith("roles/module_loading/meta/argument_specs.yml: needs one '%s' line"
                                      % GEN.REGION_BEGIN), done.stdout
    assert _read(specs) == before


def test_a_new_profile_in_data_reaches_every_choice_list(checkout):
    profiles_yml = checkout / "data" / "profiles.yml"
    selection = yaml.safe_load(_read(profiles_yml))
    selection["profiles"]["stig_zz_test"] = dict(selection["profiles"]["stig_al2023"], os=None)
    _write(profiles_yml, yaml.safe_dump(selection))
    done = _run(checkout, "--check")
    stale = sorted(line.split(" ")[0] for line in done.stdout.splitlines())
    assert done.returncode == 1 and stale == sorted([
        "docs/profiles.md", "plugins/doc_fragments/profile.py", "plugins/module_utils/audit_profiles_data.py",
        "roles/module_loading/meta/argument_specs.yml"]), done.stdout
    assert _run(checkout).returncode == 0
    specs = yaml.safe_load(_read(checkout / "roles" / "module_loading" / "meta" / "argument_specs.yml"))
    assert specs["argument_specs"]["main"]["options"]["auditkit_profile"]["choices"][-1] == "stig_zz_test"
    fragment = _read(checkout / "plugins" / "doc_fragments" / "profile.py")
    assert "stig_zz_test]\n" in fragment
