# Build and quality gates of the auditkit.auditd collection.
# Usable as root on a fresh Debian 12 machine; `make test` runs every gate.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT       := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV       := $(ROOT)/.venv
BIN        := $(VENV)/bin
BUILD      := $(ROOT)/.build
COLL_DIR   := $(BUILD)/ansible_collections/auditkit/auditd
DIST       := $(BUILD)/dist
INSTALL_TO := $(BUILD)/collections
VERSION    := $(shell sed -n 's/^version:[[:space:]]*//p' $(ROOT)/galaxy.yml)
TARBALL    := $(DIST)/auditkit-auditd-$(VERSION).tar.gz
PY_TARGET  := 3.11

# Tools from the virtualenv first; no colours / prompts in logs.
export PATH := $(BIN):$(PATH)
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Steps of `make test`, cheap ones first (setup runs before them).
TEST_STEPS := vermin lint unit install importer sanity matrix audit-userspace kernel integration reliability openscap molecule

.PHONY: no-stale-install bench mutation help setup vermin lint stage sanity matrix build install importer unit audit-userspace kernel integration reliability openscap molecule image test demo clean

help:
	@echo "make setup     Debian packages, .venv, ansible-test pip bootstrap (scripts/setup.sh)"
	@echo "make vermin    module code must run on Python 3.6"
	@echo "make lint      yamllint, shellcheck, syscall tables up to date, ansible-lint (production, offline)"
	@echo "make sanity    ansible-test sanity on a copy in .build/ansible_collections/auditkit/auditd"
	@echo "make matrix    ansible-core 2.15-2.18: sanity, module unit tests, smoke fleet (scripts/core_matrix.sh)"
	@echo "make build     ansible-galaxy collection build -> .build/dist"
	@echo "make install   install the tarball into .build/collections and resolve it"
	@echo "make importer  galaxy-importer on the tarball (tests/galaxy-importer.cfg)"
	@echo "make unit      pytest tests/unit"
	@echo "make audit-userspace  auditctl of each target platform's audit version -> .build/audit-userspace"
	@echo "make kernel    pytest tests/kernel (real kernel audit subsystem, root)"
	@echo "make integration  playbooks, role and reports on a sandbox fleet"
	@echo "make reliability  faults survived, hostile input refused (docs/reliability.md)"
	@echo "make openscap  agreement with OpenSCAP (docs/openscap-differences.md)"
	@echo "make image     the local Debian 12 test image (mmdebstrap, docker import)"
	@echo "make molecule  Molecule scenarios default, drift, kernel, al2023/rhel9/rhel8 (stand-ins; real images if present)"
	@echo "make test      all of the above, cheap checks first"
	@echo "make bench     benchmarks, rewrites BENCHMARKS.md (not part of make test)"
	@echo "make mutation  mutation testing of the engine and report builder, rewrites docs/mutation.md (not part of make test)"
	@echo "make demo      drift report, remediate, drift report on a local fleet of 3 containers"
	@echo "make clean     remove .build and caches"

setup:
	bash $(ROOT)/scripts/setup.sh

vermin:
	cd $(ROOT) && $(BIN)/vermin --target=3.6- --violations --no-tips --eval-annotations \
	  $(wildcard plugins/modules plugins/module_utils)

# The checkout under an ansible_collections/auditkit/auditd path, so that ansible-lint,
# ansible-playbook and pytest resolve auditkit.auditd.* to this working tree.
NS_ROOT := $(BUILD)/pytest
NS_LINK := $(NS_ROOT)/ansible_collections/auditkit/auditd
$(NS_LINK):
	mkdir -p $(dir $(NS_LINK))
	ln -sfn $(ROOT) $(NS_LINK)

# A copy of this collection installed in ~/.ansible/collections (Molecule's prerun used to put
# one there) comes first on ansible-lint's and galaxy-importer's collection path and would be
# judged instead of this tree: remove it (a symlink to this tree is kept).
STALE_INSTALL := $(HOME)/.ansible/collections/ansible_collections/auditkit/auditd
no-stale-install:
	@if [[ -e "$(STALE_INSTALL)" && "$$(readlink -f "$(STALE_INSTALL)")" != "$(ROOT)" ]]; then \
	  echo "removing $(STALE_INSTALL): an installed copy would shadow this tree"; rm -rf "$(STALE_INSTALL)"; fi

lint: $(NS_LINK) no-stale-install
	cd $(ROOT) && $(BIN)/yamllint --strict .
	cd $(ROOT) && shellcheck .ci/run scripts/*.sh
	@# the committed syscall tables are what this machine's ausyscall generates
	cd $(ROOT) && $(BIN)/python scripts/gen_syscall_tables.py --check
	cd $(ROOT) && ANSIBLE_COLLECTIONS_PATH=$(NS_ROOT) $(BIN)/ansible-lint --offline --profile production --strict

# Copy the tracked + untracked-not-ignored files into a fresh
# ansible_collections/<ns>/<name> tree, as ansible-test requires. The copy gets
# its own (empty) git repo: otherwise ansible-test asks the enclosing repo,
# where .build/ is ignored, and finds no files at all. ansible-test lists
# `git ls-files --cached --others --exclude-standard`, so no commit is needed.
stage:
	rm -rf $(BUILD)/ansible_collections
	mkdir -p $(COLL_DIR)
	git -C $(ROOT) ls-files -co --exclude-standard -z --deduplicate \
	  | rsync -a --from0 --files-from=- --ignore-missing-args $(ROOT)/ $(COLL_DIR)/
	git -C $(COLL_DIR) -c init.defaultBranch=main init -q

sanity: stage
	cd $(COLL_DIR) && $(BIN)/ansible-test sanity --local --python $(PY_TARGET) --color no --truncate 0

# The other ansible-core versions users run, each in .build/core-X.Y (2.19 is .venv's:
# the sanity, unit and integration steps). MATRIX_VERSIONS='2.15' or MATRIX_STEPS='sanity' narrow it.
matrix: $(NS_LINK)
	MATRIX_STEPS="$(or $(MATRIX_STEPS),sanity unit fleet)" bash $(ROOT)/scripts/core_matrix.sh $(MATRIX_VERSIONS)

build:
	rm -rf $(DIST)
	mkdir -p $(DIST)
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST) $(ROOT)
	test -f $(TARBALL)

install: build
	rm -rf $(INSTALL_TO)
	mkdir -p $(INSTALL_TO)
	$(BIN)/ansible-galaxy collection install --offline --force -p $(INSTALL_TO) $(TARBALL)
	test -f $(INSTALL_TO)/ansible_collections/auditkit/auditd/MANIFEST.json
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_TO) $(BIN)/ansible-galaxy collection list auditkit.auditd \
	  --format yaml | tee $(BUILD)/collection-list.yml
	grep -q "version: $(VERSION)" $(BUILD)/collection-list.yml
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_TO) $(BIN)/ansible-doc -l auditkit.auditd -t module
	ANSIBLE_COLLECTIONS_PATH=$(INSTALL_TO) $(BIN)/ansible-doc -l auditkit.auditd -t module --json \
	  | $(BIN)/python -c 'import json,sys; d=json.load(sys.stdin); bad=[k for k in d if not k.startswith("auditkit.auditd.")]; sys.exit("foreign plugins: %s" % bad if bad else 0)'
	@# every module's documentation must render
	for module in $$(cd $(ROOT)/plugins/modules && ls *.py | sed 's/\.py$$//'); do \
	  ANSIBLE_COLLECTIONS_PATH=$(INSTALL_TO) $(BIN)/ansible-doc auditkit.auditd.$$module > $(BUILD)/doc-$$module.txt; \
	  grep -q "auditkit.auditd.$$module" $(BUILD)/doc-$$module.txt; \
	  echo "ansible-doc auditkit.auditd.$$module: rendered"; \
	done

importer: build no-stale-install
	mkdir -p $(BUILD)/importer
	cd $(BUILD)/importer && GALAXY_IMPORTER_CONFIG=$(ROOT)/tests/galaxy-importer.cfg \
	  $(BIN)/python $(ROOT)/scripts/run_importer.py $(TARBALL)

# pytest exit 5 (no tests collected) is a failure on purpose.
unit:
	cd $(ROOT) && $(BIN)/pytest tests/unit

# auditctl/augenrules of each target platform's audit version, from ../shared/vendor/audit-userspace
# (cached by version and tarball checksum; says so and does nothing when the tarballs are absent).
audit-userspace:
	nice -n 10 bash $(ROOT)/scripts/build_audit_userspace.sh

kernel:
	cd $(ROOT) && $(BIN)/pytest tests/kernel

# Playbooks, role and reports on a sandbox fleet, through ansible-playbook and ansible-runner.
integration: $(NS_LINK) build
	cd $(ROOT) && $(BIN)/pytest tests/integration

# Molecule scenarios (scripts/molecule.sh starts dockerd and builds the local image if needed).
molecule: $(NS_LINK)
	bash $(ROOT)/scripts/molecule.sh

# Local Debian 12 test image from Debian packages (mmdebstrap + docker import).
image:
	bash $(ROOT)/scripts/build_image.sh

# OpenSCAP's OVAL definitions as an independent judge (docs/openscap-differences.md).
openscap: $(NS_LINK)
	cd $(ROOT) && $(BIN)/pytest tests/openscap

# Faults (SIGKILL, full/read-only/immutable storage, odd files, concurrency); root for mounts.
reliability: $(NS_LINK)
	cd $(ROOT) && $(BIN)/pytest tests/reliability

# setup must succeed; then every step runs even if an earlier one failed, a
# summary is printed (with each pytest suite's skipped tests by reason, tests/conftest.py),
# and the target fails if any step failed.
SKIP_LOG := $(BUILD)/skipped-tests.log
test: setup
	@failed=(); mkdir -p $(BUILD); : > $(SKIP_LOG); export AUDITKIT_SKIP_LOG=$(SKIP_LOG); \
	for step in $(TEST_STEPS); do \
	  echo "==> make $$step"; start=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$step; then rc=0; else rc=$$?; failed+=("$$step"); fi; \
	  echo "==> make $$step: rc=$$rc in $$(( $$(date +%s) - start ))s"; \
	done; \
	echo "==> steps: $(TEST_STEPS)"; \
	echo "==> skipped tests, per suite and reason (CI fails a suite whose skipped tests it provides for):"; \
	if [[ -s $(SKIP_LOG) ]]; then sed 's/^/    /' $(SKIP_LOG); else echo "    none"; fi; \
	if (( $${#failed[@]} )); then echo "==> FAILED: $${failed[*]}"; exit 1; fi; \
	echo "==> all steps passed"

demo: setup $(NS_LINK)
	bash $(ROOT)/scripts/ensure_docker.sh
	cd $(ROOT) && $(BIN)/python scripts/demo.py

# Benchmarks (not tests): rewrites BENCHMARKS.md. BENCH_ARGS='--hosts 50 --runs 5' to change them.
bench: setup $(NS_LINK)
	bash $(ROOT)/scripts/ensure_docker.sh
	cd $(ROOT) && $(BIN)/python scripts/bench.py $(BENCH_ARGS)

# Mutation testing (not a test step): mutmut over the engine and the report builder, at the lowest
# CPU priority, rewrites docs/mutation.md. MUTATION_ARGS='--files audit_coverage.py' narrows it.
mutation: setup
	cd $(ROOT) && nice -n 19 $(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

clean:
	cd $(ROOT) && rm -rf $(BUILD) tests/output .pytest_cache .hypothesis importer_result.json
	cd $(ROOT) && find . -path ./.venv -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
