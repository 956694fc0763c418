# spool - a job queue whose queue is a directory tree.
# make [all] | check | demo | bench | install | clean   (PREFIX, DESTDIR, SAN=1)

VERSION  = 0.1.0
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

CC      ?= cc
WARN     = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DSPOOL_VERSION='"$(VERSION)"' -Ispool -Itools
LDLIBS   = -linotifytools -lyaml -lpthread

# SAN=1 builds everything into build-san/ with ASan and UBSan.
ifeq ($(SAN),1)
B        = build-san
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
B        = build
endif

LIB_SRC  = $(wildcard spool/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  = $(B)/tools/cli.o
PROGS    = $(notdir $(basename $(wildcard tools/spool*.c daemons/spool*.c)))
BINS     = $(PROGS:%=$(B)/bin/%)
TESTS    = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_OBJ = $(B)/tests/unit/fault.o

all: $(BINS) bin

# ./bin always holds the plain build, as the contract says.
bin: $(BINS)
	@mkdir -p bin
	@for p in $(PROGS); do ln -sf ../$(B)/bin/$$p bin/$$p; done

$(B)/%.o: %.c $(wildcard spool/*.h tools/*.h daemons/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -c -o $@ $<

$(B)/libspool.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(B)/libspool.so: $(LIB_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libspool.so.0 -o $@ $^ $(LDLIBS)

$(B)/bin/%: $(B)/tools/%.o $(CLI_OBJ) $(B)/libspool.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)

$(B)/bin/%: $(B)/daemons/%.o $(CLI_OBJ) $(B)/libspool.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/spoold: $(B)/daemons/handler.o $(B)/daemons/runner.o $(B)/daemons/reaper.o
$(B)/bin/spoolsupervise: $(B)/daemons/children.o $(B)/daemons/supervise_apply.o
$(B)/bin/spoolstat: $(patsubst %.c,$(B)/%.o,$(wildcard tools/stat_*.c))
$(B)/bin/spooladmin: $(patsubst %.c,$(B)/%.o,$(wildcard tools/admin_*.c))

$(B)/tests/%: $(B)/tests/unit/%.o $(TEST_OBJ) $(B)/libspool.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The fuzz targets replayed on their seeds and kept crashers (make check);
# the supervisor-state target uses spoolstat's output helpers.
$(B)/tests/unit/test_fuzz_regress.o: $(wildcard tests/reliability/fuzz/*.[ch])
$(B)/tests/test_fuzz_regress: $(B)/tools/stat_info.o $(B)/tools/stat_out.o $(CLI_OBJ)

deps:
	@sh tests/deps.sh

# The suite runs twice: the plain build, then the ASan+UBSan build; the
# unit tests also run under valgrind.  tests/run prints "N passed, M failed".
check: deps
	$(MAKE) all $(B)/libspool.so $(TESTS)
	$(MAKE) SAN=1 $(patsubst build/%,build-san/%,$(BINS) $(TESTS))
	sh tests/run

# The reliability suites (RELIABILITY.md): crashes, power cuts, injected
# and real I/O errors, each judged by one invariant.  Root; MODE=short.
check-reliability: deps all
	sh tests/reliability/deps.sh
	sh tests/reliability/run
	sh tests/reliability/clock/run.sh
	sh tests/reliability/fuzz/entries.sh
	$(MAKE) fuzz

# libFuzzer (clang) on every parser of what the spool reads back,
# FUZZ_TIME seconds each (60); FUZZ_ENGINE=afl for AFL++.
fuzz:
	sh tests/reliability/fuzz/run.sh

# cppcheck, clang-tidy, scan-build, the suite under ASan+UBSan with gcc and
# clang, valgrind on spoold after 10,000 jobs, failing allocations.
check-hygiene: deps all
	sh tests/reliability/hygiene/run.sh

# Consumers killed at random under a steady producer, SOAK=seconds.
soak: deps all
	sh tests/reliability/soak.sh

demo: deps all
	sh etc/demo.sh

bench: deps all
	sh bench/run

install: all $(B)/libspool.so
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/spool \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(B)/libspool.a $(DESTDIR)$(LIBDIR)
	install -m 755 $(B)/libspool.so $(DESTDIR)$(LIBDIR)/libspool.so.0
	ln -sf libspool.so.0 $(DESTDIR)$(LIBDIR)/libspool.so
	install -m 644 spool/spool.h spool/config.h $(DESTDIR)$(INCDIR)/spool
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
		etc/spool.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/spool.pc
	for m in man/*.[1358]; do [ ! -f $$m ] || \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.} || exit 1; done
	for u in etc/*.service; do \
		sed 's|/usr/local/bin/|$(BINDIR)/|g' $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done

clean:
	rm -rf build build-san build-clang-san build-scan build-hygiene build-fuzz \
		build-afl bin var

.PHONY: all bin deps check check-reliability fuzz check-hygiene soak demo bench \
	install clean
.SECONDARY:
