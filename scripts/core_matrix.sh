#!/usr/bin/env bash
# The ansible-core versions users run, each in its own virtualenv under .build/core-X.Y:
#
#   sanity  ansible-test sanity --local with that version's tests/sanity/ignore-X.Y.txt (empty),
#           every test (the gate holds for every ansible-core version the collection claims);
#           MATRIX_SANITY_TESTS="validate-modules import ..." runs only those, for a quick look.
#   unit    the module unit tests (tests/unit/plugins/modules: main() through that version's
#           AnsibleModule; the module_utils tests do not import ansible-core)
#   fleet   tests/matrix/test_smoke_fleet.py: drift_report, remediate --check, remediate and
#           drift_report through that version's ansible-playbook on a local sandbox fleet
#
# ansible-core 2.19 is the .venv's (requirements.txt) and runs the full gates (make sanity,
# unit, integration), so it is not repeated here. Every version's controller Python range
# contains this machine's 3.11 (2.15: 3.9-3.11, 2.16/2.17: 3.10-3.12, 2.18: 3.11-3.13).
#
#   scripts/core_matrix.sh [X.Y ...]                  (default: every version below)
#   MATRIX_STEPS="sanity fleet" scripts/core_matrix.sh 2.15
#
# Every step runs even if an earlier one failed; the times go to .build/matrix/timings.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ROOT}/.build"
PYTHON="${PYTHON:-python3}"
PY_VERSION="$("${PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
STEPS="${MATRIX_STEPS:-sanity unit fleet}"
SANITY_TESTS="${MATRIX_SANITY_TESTS:-all}"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0 PIP_DISABLE_PIP_VERSION_CHECK=1

# The newest release of each line on PyPI when this was written (pinned, as requirements.txt).
declare -A CORE=([2.15]=2.15.13 [2.16]=2.16.19 [2.17]=2.17.14 [2.18]=2.18.19)
VERSIONS=("$@")
if ((${#VERSIONS[@]} == 0)); then
    VERSIONS=(2.15 2.16 2.17 2.18)
fi

log() { printf '[core_matrix] %s\n' "$*"; }

# pytest and the test libraries at the versions requirements.txt pins.
test_pins() {
    local name
    for name in pytest jsonschema hypothesis; do
        grep -i "^${name}==" "${ROOT}/requirements.txt"
    done
}

ensure_venv() {
    local series="$1" venv="${BUILD}/core-$1" want have
    want="$({ echo "ansible-core==${CORE[${series}]}"; test_pins; "${PYTHON}" -c 'import sys; print(sys.version)'; } \
        | sha256sum | cut -d' ' -f1)"
    have="$(cat "${venv}/.matrix.sha256" 2>/dev/null || true)"
    if [[ "${want}" == "${have}" && -x "${venv}/bin/ansible-test" ]]; then
        return
    fi
    log "installing ansible-core ${CORE[${series}]} into ${venv}"
    rm -rf "${venv}"
    "${PYTHON}" -m venv "${venv}"
    # shellcheck disable=SC2046  # one pin per word
    "${venv}/bin/python" -m pip install -q "ansible-core==${CORE[${series}]}" $(test_pins)
    "${venv}/bin/python" "${ROOT}/scripts/ansible_test_pip_bootstrap.py"
    echo "${want}" >"${venv}/.matrix.sha256"
}

# A copy of the tracked + untracked-not-ignored files under ansible_collections/auditkit/auditd
# (as `make stage`), with its own empty git repository for ansible-test.
stage() {
    local copy="${BUILD}/matrix/$1/ansible_collections/auditkit/auditd"
    rm -rf "${BUILD}/matrix/$1"
    mkdir -p "${copy}"
    git -C "${ROOT}" ls-files -co --exclude-standard -z --deduplicate \
        | rsync -a --from0 --files-from=- --ignore-missing-args "${ROOT}/" "${copy}/"
    git -C "${copy}" -c init.defaultBranch=main init -q
    echo "${copy}"
}

run_step() {
    local series="$1" step="$2" venv="${BUILD}/core-$1" start rc=0 copy
    start="$(date +%s)"
    log "ansible-core ${CORE[${series}]}: ${step}"
    case "${step}" in
        sanity)
            if [[ ! -f "${ROOT}/tests/sanity/ignore-${series}.txt" ]]; then
                log "tests/sanity/ignore-${series}.txt is missing"
                rc=1
            else
                copy="$(stage "${series}")"
                local selection=() name
                if [[ "${SANITY_TESTS}" != all ]]; then
                    for name in ${SANITY_TESTS}; do
                        selection+=(--test "${name}")
                    done
                fi
                (cd "${copy}" && "${venv}/bin/ansible-test" sanity --local --python "${PY_VERSION}" \
                    --color no --truncate 0 "${selection[@]}") || rc=$?
            fi
            ;;
        unit)
            (cd "${ROOT}" && "${venv}/bin/pytest" -p no:cacheprovider -q tests/unit/plugins/modules) || rc=$?
            ;;
        fleet)
            (cd "${ROOT}" && "${venv}/bin/pytest" -p no:cacheprovider -q -s tests/matrix/test_smoke_fleet.py) || rc=$?
            ;;
        *)
            log "unknown step ${step}"
            rc=2
            ;;
    esac
    local seconds=$(($(date +%s) - start))
    printf '%s\t%s\t%s\t%ss\n' "${CORE[${series}]}" "${step}" "$([[ ${rc} == 0 ]] && echo pass || echo "FAIL rc=${rc}")" \
        "${seconds}" | tee -a "${TIMINGS}"
    return "${rc}"
}

mkdir -p "${BUILD}/matrix"
TIMINGS="${BUILD}/matrix/timings.txt"
: >"${TIMINGS}"
# The sandbox fleet resolves auditkit.auditd.* through this link (as make integration).
mkdir -p "${BUILD}/pytest/ansible_collections/auditkit"
ln -sfn "${ROOT}" "${BUILD}/pytest/ansible_collections/auditkit/auditd"

failed=()
for series in "${VERSIONS[@]}"; do
    if [[ -z "${CORE[${series}]:-}" ]]; then
        log "no ansible-core ${series} in the matrix (${!CORE[*]})"
        exit 2
    fi
    ensure_venv "${series}"
    for step in ${STEPS}; do
        run_step "${series}" "${step}" || failed+=("${series}:${step}")
    done
done

log "timings (${TIMINGS}):"
cat "${TIMINGS}"
if ((${#failed[@]})); then
    log "FAILED: ${failed[*]}"
    exit 1
fi
log "all passed: ansible-core ${VERSIONS[*]} (${STEPS})"
