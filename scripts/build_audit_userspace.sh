#!/usr/bin/env bash
# Build auditctl of each target platform's audit userspace version from the upstream
# sources in ../shared/vendor/audit-userspace (docs/platforms.md).
#
#   scripts/build_audit_userspace.sh [version...]      (default: every tarball in SHA256SUMS)
#
# Result, per version, under .build/audit-userspace/<version>/:
#   auditctl   libaudit and libauparse linked statically (only glibc is shared), so the
#              binary can be copied into a Debian 12 container and run there
#   augenrules the version's own script (init.d/augenrules of the tarball)
#   VERSION    what `auditctl -v` prints
#   STAMP      tarball SHA256 + RECIPE: a build is redone only when one of them changes
#
# Only what auditctl needs is built (common, lib, auparse, src/auditctl), from autotools
# Debian packages (scripts/setup.sh installs them); no network. Two versions build at a time
# (autoreconf and configure are single-threaded), each with make -j2.
# Environment: AUDIT_USERSPACE_SRC (tarball folder), AUDIT_USERSPACE_OUT (result folder),
# JOBS (make -j, default 2), PARALLEL (versions at a time, default 2). Concurrent runs of the
# script wait for each other, per version (flock). When the tarball folder is absent the script says so and exits 0:
# the tests that need the builds skip with that reason.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${AUDIT_USERSPACE_SRC:-${ROOT}/../shared/vendor/audit-userspace}"
OUT="${AUDIT_USERSPACE_OUT:-${ROOT}/.build/audit-userspace}"
JOBS="${JOBS:-2}"
PARALLEL="${PARALLEL:-2}"

log() { printf '[audit-userspace] %s\n' "$*"; }

if [[ ! -f "${SRC}/SHA256SUMS" ]]; then
    log "no audit userspace tarballs at ${SRC} (SHA256SUMS missing): nothing built;" \
        "the per-version tests will skip"
    exit 0
fi
SRC="$(cd "${SRC}" && pwd)"

for tool in autoreconf automake libtoolize gcc make; do
    command -v "${tool}" >/dev/null 2>&1 || {
        log "${tool} is missing: run scripts/setup.sh (make setup)"
        exit 1
    }
done

# Bump when the way a version is built changes (flags, shims, what is copied): rebuilds all.
RECIPE="recipe-1"

# Versions named on the command line, or every tarball SHA256SUMS lists.
all_versions() {
    sed -n 's/.*audit-userspace-\([0-9][0-9.]*\)\.tar\.gz$/\1/p' "${SRC}/SHA256SUMS"
}

# The tarball's checksum, verified against SHA256SUMS (the build stops on a mismatch).
verified_sum() {
    local version="$1" name="audit-userspace-$1.tar.gz"
    local line
    line="$(grep " [* ]\?${name}\$" "${SRC}/SHA256SUMS" || true)"
    [[ -n "${line}" ]] || { log "${name} is not listed in ${SRC}/SHA256SUMS" >&2; return 1; }
    (cd "${SRC}" && printf '%s\n' "${line}" | sha256sum --check --quiet --strict) >&2 || {
        log "${name}: checksum mismatch (SHA256SUMS)" >&2
        return 1
    }
    printf '%s\n' "${line%% *}"
}

# linux/ipx.h left the kernel headers in 2018; audit 2.8.5 includes it unconditionally in
# auparse/interpret.c but only needs the socket address layout and AF_IPX.
write_ipx_shim() {
    mkdir -p "$1/linux"
    cat >"$1/linux/ipx.h" <<'EOF'
/* Minimal stand-in for the removed <linux/ipx.h> (build_audit_userspace.sh). */
#ifndef AUDITKIT_IPX_SHIM_H
#define AUDITKIT_IPX_SHIM_H
#include <sys/socket.h>
#define IPX_NODE_LEN 6
struct sockaddr_ipx {
	unsigned short sipx_family;
	unsigned short sipx_port;
	unsigned int sipx_network;
	unsigned char sipx_node[IPX_NODE_LEN];
	unsigned char sipx_type;
	unsigned char sipx_zero;
};
#endif
EOF
}

build_one() {
    local version="$1" sum dest work tree cflags src_cppflags start
    sum="$(verified_sum "${version}")"
    dest="${OUT}/${version}"
    if [[ -x "${dest}/auditctl" && -f "${dest}/augenrules" && -s "${dest}/VERSION" &&
          "$(cat "${dest}/STAMP" 2>/dev/null)" == "${sum} ${RECIPE}" ]]; then
        log "${version}: cached ($(cat "${dest}/VERSION"))"
        return 0
    fi
    start=$(date +%s)
    work="${OUT}/work/${version}"
    rm -rf "${work}" "${dest}"
    mkdir -p "${work}"
    tar -xzf "${SRC}/audit-userspace-${version}.tar.gz" -C "${work}"
    tree="${work}/audit-userspace-${version}"
    cflags="-O2 -g0 -w"
    src_cppflags=""
    if [[ "${version}" == 2.* ]]; then
        write_ipx_shim "${work}/shim"
        # gcc 10+ defaults to -fno-common; 2.8.5 defines some globals in headers.
        cflags="${cflags} -fcommon -I${work}/shim"
        # auditctl.c's global `interpret` flag clashes with libauparse's interpret() once
        # libauparse is linked statically (a shared library let the program's symbol win).
        src_cppflags="-Dinterpret=auditctl_interpret_flag"
    fi
    (
        cd "${tree}"
        autoreconf -fi >autoreconf.log 2>&1 || { tail -20 autoreconf.log; exit 1; }
        # Flags of the RHEL/Fedora build where they matter to auditctl (arm tables, io_uring
        # where the version knows it); everything auditctl does not use is left out.
        CFLAGS="${cflags}" ./configure --quiet --disable-shared --enable-static \
            --without-python --without-python3 --without-golang --disable-zos-remote \
            --with-libcap-ng=no --with-arm --with-aarch64 --with-io_uring \
            --disable-listener --without-libwrap >configure.log 2>&1 || { tail -30 configure.log; exit 1; }
        for dir in common lib auparse; do
            [[ -d "${dir}" ]] || continue   # 2.8 has no common/
            make -s -j"${JOBS}" -C "${dir}" >"make-${dir}.log" 2>&1 || { tail -30 "make-${dir}.log"; exit 1; }
        done
        make -s -j"${JOBS}" -C src auditctl CPPFLAGS="${src_cppflags}" >make-auditctl.log 2>&1 || { tail -30 make-auditctl.log; exit 1; }
    )
    mkdir -p "${dest}"
    install -m 0755 "${tree}/src/auditctl" "${dest}/auditctl"
    install -m 0755 "${tree}/init.d/augenrules" "${dest}/augenrules"
    "${dest}/auditctl" -v >"${dest}/VERSION"
    grep -q "${version}" "${dest}/VERSION" || {
        log "${version}: auditctl -v says '$(cat "${dest}/VERSION")'"
        exit 1
    }
    if ldd "${dest}/auditctl" | grep -q 'libau'; then
        log "${version}: auditctl is linked to a shared libaudit/libauparse"
        exit 1
    fi
    printf '%s %s\n' "${sum}" "${RECIPE}" >"${dest}/STAMP"
    rm -rf "${work}"
    log "${version}: built in $(( $(date +%s) - start ))s ($(cat "${dest}/VERSION"))"
}

versions=("$@")
if ((${#versions[@]} == 0)); then
    mapfile -t versions < <(all_versions)
fi
mkdir -p "${OUT}"
total_start=$(date +%s)
pids=()
failed=0
for version in "${versions[@]}"; do
    (
        flock 9
        build_one "${version}"
    ) 9>"${OUT}/.lock-${version}" &
    pids+=("$!")
    if ((${#pids[@]} >= PARALLEL)); then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do
    wait "${pid}" || failed=1
done
if ((failed)); then
    log "a build failed (its log is above)"
    exit 1
fi
log "done: ${versions[*]} in $(( $(date +%s) - total_start ))s"
