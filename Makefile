# sockward - policy-enforcing gateway for the Docker Engine API.
# Plain make + pkg-config. Sources are discovered by directory so that a new
# file needs no Makefile edit: daemon/*.c, daemon/cli/*.c, policy/*.c, tests/unit/*.c.

PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/sockward

VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CC         ?= cc
PKGS       := libevent libevent_openssl jansson openssl
LLHTTP_SRC ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp
# llhttp's strict build: exact CRLF after chunks, no tolerated whitespace or
# bare LF.  A proxy must be at least as strict as the server behind it.
LLHTTP_DEFS := -DLLHTTP_STRICT_MODE=1

WARN       := -Wall -Wextra -Werror
CFLAGS     ?= -O2 -g
ALL_CFLAGS  = -std=c11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -DSOCKWARD_VERSION='"$(VERSION)"' \
              -I. -I$(LLHTTP_INC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS        = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# daemon/cli/: the subcommands (eval, doctor), tools that run before or instead
# of the event loop, never inside it.
DAEMON_SRC := $(sort $(wildcard daemon/*.c daemon/cli/*.c))
POLICY_SRC := $(sort $(wildcard policy/*.c))
LLHTTP_C   := $(LLHTTP_SRC)/api.c $(LLHTTP_SRC)/http.c $(LLHTTP_SRC)/llhttp.c
UNIT_SRC   := $(sort $(wildcard tests/unit/*.c))
# Everything but main() is linked into the unit test binary as well.
CORE_SRC   := $(filter-out daemon/main.c,$(DAEMON_SRC)) $(POLICY_SRC)

B          := build
obj         = $(patsubst %.c,$(B)/$(1)/%.o,$(2))
LLHTTP_OBJ  = $(B)/$(1)/llhttp/api.o $(B)/$(1)/llhttp/http.o $(B)/$(1)/llhttp/llhttp.o

.PHONY: all deps check unit integration asan-check install clean run engine engine-stop engine-wipe bench
all: sockward

# ---- normal build ---------------------------------------------------------
$(B)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@
$(B)/rel/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(CFLAGS) $(LLHTTP_DEFS) -I$(LLHTTP_INC) -c $< -o $@

sockward: $(call obj,rel,$(DAEMON_SRC) $(POLICY_SRC)) $(call LLHTTP_OBJ,rel)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

tests/unit/run-unit: $(call obj,rel,$(CORE_SRC) $(UNIT_SRC)) $(call LLHTTP_OBJ,rel)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs check)

# the held answers' cost (tests/bench/answer_bench.c), on the daemon's own code
tests/bench/answer-bench: $(call obj,rel,$(CORE_SRC) tests/bench/answer_bench.c) $(call LLHTTP_OBJ,rel)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# ---- sanitizer build (ASan + UBSan) ----------------------------------------
$(B)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@
$(B)/san/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(SAN_FLAGS) $(LLHTTP_DEFS) -I$(LLHTTP_INC) -c $< -o $@

sockward-asan: $(call obj,san,$(DAEMON_SRC) $(POLICY_SRC)) $(call LLHTTP_OBJ,san)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

tests/unit/run-unit-asan: $(call obj,san,$(CORE_SRC) $(UNIT_SRC)) $(call LLHTTP_OBJ,san)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs check)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- dependencies ------------------------------------------------------------
deps:
	@tests/engine/install-deps.sh

# ---- tests -------------------------------------------------------------------
# check = deps + build + unit tests + integration tests against a private engine,
# then the same unit and integration suites again under ASan/UBSan.
check: deps
	$(MAKE) all tests/unit/run-unit sockward-asan tests/unit/run-unit-asan
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) asan-check

unit: tests/unit/run-unit
	cd tests && ./unit/run-unit

integration: sockward
	tests/integration/run.sh ./sockward

# The sanitized build runs several times slower: the test cases' time bounds
# (there to catch a hang or a quadratic pass, not to time anything) get 3x.
asan-check: sockward-asan tests/unit/run-unit-asan
	cd tests && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    CK_TIMEOUT_MULTIPLIER=3 ./unit/run-unit-asan
	SOCKWARD_SANITIZED=1 tests/integration/run.sh ./sockward-asan

engine:
	tests/engine/engine.sh start

engine-stop:
	tests/engine/engine.sh stop

engine-wipe:
	tests/engine/engine.sh wipe

bench: sockward
	tests/bench/run.sh ./sockward

# ---- run (development) -----------------------------------------------------
run: deps sockward
	@tests/engine/dev-run.sh

# ---- install -----------------------------------------------------------------
install: sockward
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	           $(DESTDIR)$(SYSCONFDIR)/sockward $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 sockward $(DESTDIR)$(SBINDIR)/sockward
	install -m 0644 man/sockward.8 $(DESTDIR)$(MANDIR)/man8/sockward.8
	install -m 0644 man/sockward.json.5 $(DESTDIR)$(MANDIR)/man5/sockward.json.5
	install -m 0644 conf/*.json $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 systemd/docker.socket-sockward.conf $(DESTDIR)$(DOCDIR)/examples/docker.socket-sockward.conf
	sed 's|/usr/local/sbin/sockward|$(SBINDIR)/sockward|g' systemd/sockward.service > $(DESTDIR)$(UNITDIR)/sockward.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sockward.service
	install -m 0644 systemd/sockward.socket $(DESTDIR)$(UNITDIR)/sockward.socket
	install -d $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 0644 systemd/sockward.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/sockward.conf
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/sockward/sockward.json ]; then \
	    install -m 0640 conf/sockward.json $(DESTDIR)$(SYSCONFDIR)/sockward/sockward.json; fi

clean:
	rm -rf $(B) sockward sockward-asan tests/unit/run-unit tests/unit/run-unit-asan
