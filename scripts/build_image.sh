#!/usr/bin/env bash
# Build the local Debian 12 test image with mmdebstrap and import it into docker.
# No container registry is reachable from CI, so nothing here pulls an image: the root
# filesystem comes from Debian's package mirror. The image is rebuilt only when this
# recipe changes (its hash is stored as the image label auditkit.recipe).
#
#   scripts/build_image.sh [image-name]      (default auditkit/debian12:test)
set -euo pipefail

IMAGE="${1:-auditkit/debian12:test}"
SUITE=bookworm
MIRROR="${AUDITKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# python3-apt: package_facts (the ComplianceAsCode baseline of make bench gathers them)
PACKAGES=(python3 python3-apt auditd kmod openscap-scanner ssg-nondebian procps)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RECIPE="$(sha256sum < "${HERE}/build_image.sh" | cut -c1-16)"

bash "${HERE}/ensure_docker.sh"

current="$(docker image inspect --format '{{ index .Config.Labels "auditkit.recipe" }}' "${IMAGE}" 2>/dev/null || true)"
if [[ "${current}" == "${RECIPE}" ]]; then
    echo "build_image: ${IMAGE} is up to date (recipe ${RECIPE})"
    exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
echo "build_image: building ${IMAGE} from Debian ${SUITE} (recipe ${RECIPE})"
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    "${SUITE}" "${WORK}/rootfs.tar" "deb ${MIRROR} ${SUITE} main" "deb ${MIRROR} ${SUITE}-updates main"
docker import \
    --change "LABEL auditkit.recipe=${RECIPE}" \
    --change 'CMD ["sleep", "infinity"]' \
    "${WORK}/rootfs.tar" "${IMAGE}" >/dev/null
echo "build_image: ${IMAGE} built"
