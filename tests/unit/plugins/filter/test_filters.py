# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's controller-side filters: control_id_error (every play host's selection at once)
and remediate_summary (artifacts and still-failing controls from the registered results)."""
import pytest

# Controller code: the target-Python runs of tests/unit (Python 3.9 image) carry no controller.
AnsibleFilterError = pytest.importorskip("ansible.errors", reason="controller-side filters need ansible-core").AnsibleFilterError

from ansible_collections.auditkit.auditd.plugins.filter.control_id_error import control_id_error
from ansible_collections.auditkit.auditd.plugins.filter.remediate_summary import remediate_summary


def test_known_ids_in_any_form_give_no_error():
    assert control_id_error(["V-274091", "5.2.3.19"]) == ""
    assert control_id_error("V-258190, RHEL-09-654105", []) == ""


def test_every_hosts_selection_is_checked_and_the_bad_id_named():
    per_host = [[], "V-274091", ["V-258190"], ["V-27409"]]
    error = control_id_error(per_host, [[], []])
    assert "V-27409" in error and "did you mean" in error.lower()
    assert "RHEL-09-65410" in control_id_error([[]], [[], ["RHEL-09-65410"]])


def test_a_mapping_is_refused_with_its_type():
    with pytest.raises(AnsibleFilterError, match="dict"):
        control_id_error({"V-274091": True})


def _result(changed, added, statuses):
    controls = [{"id": i, "status": s, "reason": "reason of %s" % i} for i, s in statuses]
    return {"changed": changed, "added": ["-a line"] * added, "planned": {"controls": controls}}


def test_summary_per_host_and_hosts_without_a_plan_left_out():
    results = {"a": _result(True, 2, [("V-1", "pass"), ("V-2", "fail")]),
               "b": _result(False, 0, [("V-1", "pass")]),
               "failed": {"failed": True, "msg": "boom"}, "never-ran": {}}
    assert remediate_summary(results) == {
        "a": {"changed": True, "added": 2, "failing_controls": ["V-2"]},
        "b": {"changed": False, "added": 0, "failing_controls": []}}
    assert remediate_summary(results, reasons=True)["a"]["reasons"] == ["V-2: reason of V-2"]


def test_summary_refuses_anything_but_a_mapping():
    with pytest.raises(AnsibleFilterError, match="list"):
        remediate_summary([])
