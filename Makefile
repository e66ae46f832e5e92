# Terra toolkit. `make` builds libterra and the commands, `make check` runs
# every test, `make demo` runs the quickstart pipeline. Missing Debian
# packages are installed first (mk/deps.sh). Sources are found by wildcard:
# a new lib/X.c, cmd/terra-X.c, tests/unit/X.c or tests/X.t needs no edit here.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
COMPDIR   = $(PREFIX)/share/bash-completion/completions
# The scripts the systemd units and crontab run, the units (their
# /usr/local paths rewritten to PREFIX), and examples/ as documentation.
LIBEXECDIR = $(PREFIX)/lib/terra
UNITDIR   = $(PREFIX)/lib/systemd/system
DOCDIR    = $(PREFIX)/share/doc/terra

# mk/deps.sh installs what building and running need (make, make install,
# make demo), for the test targets what the tests and tools need too, and
# for make bench its peers as well (OpenBLAS).
NODEPS_GOALS = clean distclean format help uninstall
TEST_GOALS   = check test unit valgrind fuzz fuzz-run bench lint-man lint-format
DEPS_SET    := $(if $(filter bench,$(MAKECMDGOALS)),bench,$(if $(filter $(TEST_GOALS),$(MAKECMDGOALS)),test,build))
ifeq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
NEED_PKGS :=
else
NEED_PKGS := 1
DEPS_STATUS := $(shell sh mk/deps.sh $(DEPS_SET) 1>&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error the Debian packages above could not be installed)
endif
endif

# pkg-config module = the Debian package that brings it.
PKGS      = libsodium sqlite3 jansson hwloc OpenCL smartcols
DEB_libsodium = libsodium-dev
DEB_sqlite3   = libsqlite3-dev
DEB_jansson   = libjansson-dev
DEB_hwloc     = libhwloc-dev
DEB_OpenCL    = ocl-icd-opencl-dev
DEB_smartcols = libsmartcols-dev
ifneq ($(NEED_PKGS),)
MISSING_PKGS := $(strip $(foreach m,$(PKGS),$(if $(shell pkg-config --exists $(m) && echo y),,$(m))))
ifneq ($(MISSING_PKGS),)
$(error $(foreach m,$(MISSING_PKGS),$(or $(DEB_$(m):-dev=),$(m))) not found: apt-get install $(foreach m,$(MISSING_PKGS),$(or $(DEB_$(m)),$(m)-dev)))
endif
ifeq ($(wildcard /usr/include/csv.h),)
$(error libcsv not found: apt-get install libcsv-dev)
endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lpthread -lm

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN      = -Wall -Wextra -Wpedantic
STRICT    = -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wformat=2 -Wundef -Wpointer-arith -Wcast-align -Wwrite-strings
CPPFLAGS += -I. -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=300 \
            -DTERRA_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 $(WARN) $(if $(DEV),$(STRICT)) $(CFLAGS) $(PKG_CFLAGS)

# Each configuration builds into its own tree, so switching never mixes objects.
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SANITIZE)
BUILD ?= build/san-$(subst $(comma),-,$(SANITIZE))
else ifneq ($(FUZZ),)
# libFuzzer: the library instrumented for coverage, ASan and UBSan.
CC = clang
ALL_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
BUILD ?= build/fuzz
else
BUILD ?= build/$(if $(DEV),dev,rel)
endif
comma := ,

LIB_SRC  = $(sort $(wildcard lib/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A    = $(BUILD)/libterra.a
CMD_SRC  = $(sort $(wildcard cmd/terra-*.c))
CMDS     = $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNIT_SRC = $(filter-out tests/unit/fixture.c,$(sort $(wildcard tests/unit/*.c)))
FIXTURE  = $(BUILD)/tests/unit/fixture.o
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.t)
# The slowest first (valgrind wall seconds in the last local CI: tlog 158,
# ledger 153, meter 138, attack-input 109, examples 104, report 98,
# attack-units 94, run-sched 93, attack-transfer 92), so prove -j does not
# finish on one long test with a core idle.
SLOW_TESTS = tests/tlog.t tests/meter.t tests/ledger.t tests/attack-input.t tests/examples.t \
             tests/report.t tests/attack-units.t tests/run-sched.t tests/attack-transfer.t
SHELL_TESTS = $(filter $(wildcard tests/*.t),$(SLOW_TESTS)) \
              $(filter-out $(SLOW_TESTS),$(sort $(wildcard tests/*.t)))
MANS     = $(sort $(wildcard man/*.[157]))
SCRIPTS  = $(sort $(wildcard examples/*.sh examples/two-host/*.sh examples/slurm/*.sh))
SYSTEMD_UNITS = $(sort $(wildcard examples/systemd/*.service examples/systemd/*.timer))
EXAMPLE_FILES = $(sort $(shell find examples -type f))

.SECONDARY:
.PHONY: all check test unit fuzz fuzz-run valgrind demo install uninstall clean bench lint-man \
        lint-layers lint-format \
        format help fuzz
FAULTINJECT = $(BUILD)/tests/faultinject.so
SGEMMPROVE  = $(BUILD)/tests/sgemmprove
all: $(CMDS) $(UNITS) $(FAULTINJECT) $(SGEMMPROVE)

# LD_PRELOAD write-fault injector used by the robustness tests.
$(FAULTINJECT): tests/tools/faultinject.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -O1 -g -fPIC -shared $< -o $@ -ldl

# Proves rows of an sgemm run again, for the tests that replay sgemm work.
$(SGEMMPROVE): $(BUILD)/tests/tools/sgemmprove.o $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIB_A) $(PKG_LIBS) -o $@

# Each object depends on the headers it includes (-MMD writes them to its .d
# file; -MP keeps make going when a header is removed).
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(wildcard $(BUILD)/lib/*.d $(BUILD)/cmd/*.d $(BUILD)/cmd/*/*.d $(BUILD)/tests/unit/*.d $(BUILD)/tests/tools/*.d)

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# A command's subcommands and helpers may live in cmd/<name>/*.c (cmd/ledger
# for terra-ledger, cmd/meter for terra-meter, ...): linked into it alone.
$(foreach c,$(CMD_SRC:cmd/terra-%.c=%),$(eval \
    $(BUILD)/bin/terra-$(c): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(c)/*.c))))
$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(filter %.o,$^) $(LIB_A) $(PKG_LIBS) -o $@

$(BUILD)/tests/unit/%.t: $(BUILD)/tests/unit/%.o $(FIXTURE) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(FIXTURE) $(LIB_A) $(PKG_LIBS) -o $@

# Tests see the commands of this build first on PATH; TERRA_WRAP runs each
# under a tool (valgrind) through wrappers that tests/setup writes.
TEST_ENV = TERRA_BIN=$(abspath $(BUILD)/bin) TERRA_TOP=$(abspath .) \
           TERRA_BUILD=$(abspath $(BUILD)) TERRA_NO_DEPS=1
ifneq ($(SANITIZE),)
# Leaks of PoCL, LLVM and hwloc's plugins are theirs (tests/lsan.supp); the
# fault injector is preloaded before the ASan runtime on purpose. LeakSanitizer
# keeps its fast unwinder: the suppressions match on the allocating library,
# and the slow one (fast_unwind_on_malloc=0) cost the sanitized suite 959 ->
# 711 CPU s (unit/record.t 19.5 -> 3.1 s) with no leak found either way.
TEST_ENV += LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
            ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
endif
# The Go verifier of tests/tlog.t: Go's own sumdb/note and tlog from Debian's
# golang-golang-x-mod-dev, built offline in GOPATH mode.
TLOGCHECK = $(BUILD)/tests/tlogcheck
$(TLOGCHECK): tests/tools/tlogcheck/main.go
	@mkdir -p $(@D)
	GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$(abspath $(BUILD))/gocache \
	    go build -o $@ ./tests/tools/tlogcheck

PROVE_JOBS ?= 2
# The layout is checked after the tests, so a line that drifts from
# .clang-format does not hide what the tests found.
check: all lint-man lint-layers $(TLOGCHECK)
	$(TEST_ENV) prove -j$(PROVE_JOBS) --timer --exec '' $(UNITS) $(SHELL_TESTS)
	@sh mk/format.sh --check

# make test T="tests/register.t build/rel/tests/unit/record.t": just those.
test: all
	$(TEST_ENV) prove --exec '' $(T)

unit: all
	$(TEST_ENV) prove --exec '' $(UNITS)

# --read-inline-info=no: memcheck reads libc6-dbg's inline records at every
# start, and the suite starts it some 1,300 times; without them each run
# costs 4-5% less CPU (tests/attack-transfer.t: 75.4 -> 72.4 and 84.7 ->
# 80.7 CPU s). Reports then show no inlined frames; run valgrind by hand
# without it to see them. The suppressions name no inlined function.
# LD_LIBRARY_PATH: copies of libc and libm whose debug files memcheck does not find
# (mk/vglibs.sh says why).
VGLIBS = $(BUILD)/vglibs
VALGRIND = env LD_LIBRARY_PATH=$(abspath $(VGLIBS)) \
           valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
           --read-inline-info=no --suppressions=$(abspath tests/valgrind.supp)
# One prove for both kinds (tests/tools/vgexec): the slowest shell tests,
# then the unit tests, then the rest. The copies are made again each time
# (a fraction of a second), so they never lag behind the system's libc.
valgrind: all $(TLOGCHECK)
	sh mk/vglibs.sh $(BUILD)/bin/terra-ledger $(VGLIBS)
	$(TEST_ENV) TERRA_WRAP="$(VALGRIND)" TERRA_UNIT_EXEC="$(VALGRIND)" TERRA_VALGRIND=1 \
	    HWLOC_COMPONENTS=-x86 prove -j$(PROVE_JOBS) --timer --exec 'sh $(abspath tests/tools/vgexec)' \
	    $(filter $(wildcard tests/*.t),$(SLOW_TESTS)) $(UNITS) $(filter-out $(SLOW_TESTS),$(SHELL_TESTS))

lint-man:
	@out=$$(mandoc -Tlint -W warning $(MANS) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; echo "man pages: mandoc -Tlint found problems"; exit 1; fi

# Includes point down the layers of lib/LAYERS, without cycles; no lib/*.c
# over 800 lines (mk/layers.sh names file and line).
lint-layers:
	@sh mk/layers.sh
	@sh mk/tables.sh

demo: all
	TERRA_BIN=$(abspath $(BUILD)/bin) sh examples/quickstart.sh
	@echo "terra: the commands are in $(abspath $(BUILD)/bin); to run them: make install," \
	    "or export PATH=$(abspath $(BUILD)/bin):\$$PATH" >&2

# make bench QUICK=1: small sizes, table in build/bench/RESULTS.md (CI runs it).
bench: all
	TERRA_BIN=$(abspath $(BUILD)/bin) TERRA_TOP=$(abspath .) BENCH_QUICK=$(QUICK) sh bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(CMDS) $(DESTDIR)$(BINDIR)/
	for m in $(MANS); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	if [ -d examples/completion ]; then install -d $(DESTDIR)$(COMPDIR); \
	    for c in examples/completion/terra-*; do install -m 0644 $$c $(DESTDIR)$(COMPDIR)/; done; fi
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(SCRIPTS) $(DESTDIR)$(LIBEXECDIR)/
	for u in $(SYSTEMD_UNITS); do \
	    sed 's|/usr/local/|$(PREFIX)/|g' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/}; \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	for f in $(EXAMPLE_FILES); do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f; done

uninstall:
	for c in $(CMD_SRC:cmd/%.c=%); do rm -f $(DESTDIR)$(BINDIR)/$$c \
	    $(DESTDIR)$(COMPDIR)/$$c; done
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done
	for s in $(notdir $(SCRIPTS)); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$s; done
	for u in $(notdir $(SYSTEMD_UNITS)); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	for f in $(EXAMPLE_FILES); do rm -f $(DESTDIR)$(DOCDIR)/$$f; done
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
	find $(DESTDIR)$(DOCDIR) -depth -type d -empty -delete 2>/dev/null || true

# Every C file of the tree as .clang-format lays it out (mk/format.sh):
# make format rewrites them in place; make lint-format names the files that
# drift, file:line, and fails.
format:
	sh mk/format.sh

lint-format:
	@sh mk/format.sh --check

# make fuzz [FUZZ_SECONDS=N]: each harness of tests/fuzz/ runs N seconds from
# its seed corpus (tests/fuzz/corpus/NAME, read only; new inputs go to build/).
FUZZ_SECONDS ?= 30
FUZZERS = $(patsubst tests/fuzz/%.c,build/fuzz/fuzz/%,$(sort $(wildcard tests/fuzz/*.c)))
fuzz:
	$(MAKE) FUZZ=1 fuzz-run

# One target a harness, so make -j runs them side by side (each is one thread).
fuzz-run: $(FUZZERS:build/fuzz/fuzz/%=fuzz-run-%)
fuzz-run-%: build/fuzz/fuzz/%
	@mkdir -p build/fuzz/corpus/$*
	@echo "fuzz: $* for $(FUZZ_SECONDS) s"
	@$< -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    -dict=tests/fuzz/json.dict build/fuzz/corpus/$* tests/fuzz/corpus/$* \
	    2>build/fuzz/$*.log || { tail -n 40 build/fuzz/$*.log; exit 1; }
	@grep -E 'stat::number_of_executed_units|stat::peak_rss' build/fuzz/$*.log | sed "s/^/fuzz: $*: /"

build/fuzz/fuzz/%: tests/fuzz/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(ALL_CFLAGS) -fsanitize=fuzzer $< $(LIB_A) $(PKG_LIBS) -o $@

clean:
	rm -rf build

help:
	@echo "make [DEV=1] | check | unit | valgrind | demo | bench | install | format | clean"
	@echo "make check SANITIZE=address,undefined"
