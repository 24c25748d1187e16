# dedup: near-duplicate news story detection. GNU make; `make help` lists the targets.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR     ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
PKG_CONFIG  ?= pkg-config
CC          ?= cc
CFLAGS      ?= -O2 -g
BUILD       ?= build
WERROR      ?= -Werror

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual \
        -Wpointer-arith -Wformat=2 -Wundef -Wvla -Wwrite-strings -Wconversion -Wsign-conversion
DEPS_PC  := libxxhash libutf8proc jansson libarchive libxml-2.0 sqlite3
ALL_CPPFLAGS = -Iinclude -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
               $(shell $(PKG_CONFIG) --cflags $(DEPS_PC) 2>/dev/null) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARN) $(WERROR) -pthread $(CFLAGS)
LIBS         = $(shell $(PKG_CONFIG) --libs $(DEPS_PC) 2>/dev/null) -lstemmer -lm -pthread
TEST_LIBS    = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

LIB_SRC  := $(filter-out src/cli/%,$(wildcard src/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/idf_news_en.o $(BUILD)/gen/vocab_news_en.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
# The MPI build (docs/SCALE.md): build/dedup-mpi, only where Open MPI's pkg-config file is
# (libopenmpi-dev); the plain build never needs it. Its headers are system headers to the
# warnings. It is the CLI with src/mpi/cli_engine_mpi.c in place of src/cli/cli_engine.c.
MPI_PC      := ompi-c
HAVE_MPI    := $(shell $(PKG_CONFIG) --exists $(MPI_PC) 2>/dev/null && echo yes)
MPI_CFLAGS   = $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags $(MPI_PC) 2>/dev/null))
MPI_LIBS     = $(shell $(PKG_CONFIG) --libs $(MPI_PC) 2>/dev/null)
MPI_SRC     := $(wildcard src/mpi/*.c)
MPI_OBJ     := $(MPI_SRC:%.c=$(BUILD)/%.o)
CLI_MPI_OBJ := $(filter-out $(BUILD)/src/cli/cli_engine.o,$(CLI_OBJ))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
VERSION  := $(shell sed -n 's/^\#define DD_VERSION_STRING "\(.*\)"/\1/p' include/dedup/status.h)
RUN      ?=
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Fuzzing: tests/fuzz/fuzz_<target>.c. libFuzzer builds (clang) live in build/fuzz; replay
# builds (any compiler, tests/fuzz/replay_main.c) in $(BUILD)/tests so `make check` replays
# the saved corpora under ASan/UBSan.
FUZZ_TARGETS := jsonl text normalize pipeline archive
FUZZ_TARGET  ?= jsonl
FUZZ_TIME    ?= 60
FUZZ_ARGS    ?=
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
REPLAY_BIN   := $(FUZZ_TARGETS:%=$(BUILD)/tests/replay_%)

.PHONY: all deps test unit cli-test badinput threads mpi-test faults soak html-test install-test index-test check demo bench bench-index \
        ocr-devset ocr-eval \
        golden-update install uninstall \
        clean help format fuzz fuzz-replay

all: deps $(BUILD)/libdedup.a $(BUILD)/dedup $(BUILD)/dedup.pc $(if $(HAVE_MPI),$(BUILD)/dedup-mpi) ## build library, CLI, pkg-config file (and dedup-mpi with Open MPI)

deps: ## install missing Debian packages (apt-get; needs root)
	@scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The background IDF table is compiled in, one string per line, so an installed dedup needs
# no data file. data/idf/news-en.tsv is made by `dedup idf` (see data/README.md).
$(BUILD)/gen/idf_news_en.c: data/idf/news-en.tsv
	@mkdir -p $(@D)
	awk 'BEGIN { print "#include <stddef.h>"; \
	    print "extern const char *const dd__idf_news_en[];"; \
	    print "extern const size_t dd__idf_news_en_lines;"; \
	    print "const char *const dd__idf_news_en[] = {" } \
	    { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); print "\"" $$0 "\"," } \
	    END { print "};"; print "const size_t dd__idf_news_en_lines = " NR ";" }' $< > $@

# The OCR noise vocabulary, one word a line (scripts/make-vocab.sh; data/README.md).
$(BUILD)/gen/vocab_news_en.c: data/vocab/news-en.txt
	@mkdir -p $(@D)
	awk 'BEGIN { print "#include <stddef.h>"; \
	    print "extern const char *const dd__vocab_news_en[];"; \
	    print "extern const size_t dd__vocab_news_en_lines;"; \
	    print "const char *const dd__vocab_news_en[] = {" } \
	    /^[a-z]+$$/ { print "\"" $$0 "\","; n++ } \
	    END { print "};"; print "const size_t dd__vocab_news_en_lines = " n ";" }' $< > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libdedup.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/dedup: $(CLI_OBJ) $(BUILD)/libdedup.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libdedup.a $(LIBS)

$(BUILD)/src/mpi/%.o: src/mpi/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(MPI_CFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/dedup-mpi: $(CLI_MPI_OBJ) $(MPI_OBJ) $(BUILD)/libdedup.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_MPI_OBJ) $(MPI_OBJ) $(BUILD)/libdedup.a $(LIBS) \
	    $(MPI_LIBS)

$(BUILD)/dedup.pc: dedup.pc.in include/dedup/status.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdedup.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libdedup.a $(TEST_LIBS) $(LIBS)

unit: all $(UNIT_BIN) ## run the cmocka unit tests (RUN="valgrind ..." to wrap each binary)
	@fail=0; for t in $(UNIT_BIN); do $(RUN) $$t || fail=1; done; exit $$fail

cli-test: all ## run the golden CLI tests
	@DEDUP=$(abspath $(BUILD)/dedup) tests/cli/run.sh

badinput: all ## bad-input checks golden files cannot hold (200 MB line memory bound, vanishing folder)
	@DEDUP=$(abspath $(BUILD)/dedup) BUILD=$(BUILD) CC="$(CC)" LIBS="$(LIBS)" \
	    CFLAGS="$(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS)" tests/badinput.sh

threads: all ## the same output for -j1, -j2 and -j8 (data/ samples, ../shared when present)
	@DEDUP=$(abspath $(BUILD)/dedup) tests/threads.sh

mpi-test: all $(BUILD)/bench/ocr_noise ## dedup-mpi on 2 and 3 ranks prints what dedup prints (skipped without mpirun)
	@DEDUP=$(abspath $(BUILD)/dedup) OCR_NOISE=$(abspath $(BUILD)/bench/ocr_noise) tests/mpi.sh

reread: all ## sets read again match sets kept; a file changed during the run is reported
	@DEDUP=$(abspath $(BUILD)/dedup) tests/reread.sh

faults: all ## fault injection: full disk, size and memory limits, kills, SIGPIPE; outputs whole or untouched
	@DEDUP=$(abspath $(BUILD)/dedup) tests/faults.sh

soak: all ## random options, threads and kills over ../shared (or data/) corpora: outputs complete or absent (SOAK_RUNS=100)
	@DEDUP=$(abspath $(BUILD)/dedup) tests/soak.sh

html-test: all ## open the --html report in headless Chromium (installed when missing; skipped if it cannot be)
	@DEDUP=$(abspath $(BUILD)/dedup) tests/html.sh

index-test: all ## stored index: add half + query half = one batch run, kill -9, second writer, prune, stream
	@scripts/install-deps.sh jq sqlite3
	@DEDUP=$(abspath $(BUILD)/dedup) tests/index.sh

install-test: ## make install into a temporary DESTDIR and check what landed there
	@tests/install.sh

test: ## install what is missing, build, run unit, golden CLI, bad-input, thread, read-again, MPI, fault, HTML, install and index tests (and ../shared checks when present)
	@scripts/install-deps.sh time gzip bzip2 xz-utils zstd tar zip python3 jq sqlite3 openmpi-bin libopenmpi-dev
	@$(MAKE) --no-print-directory unit cli-test badinput threads reread mpi-test faults html-test install-test index-test
	@$(MAKE) --no-print-directory $(BUILD)/bench/ocr_noise
	@DEDUP=$(abspath $(BUILD)/dedup) OCR_NOISE=$(abspath $(BUILD)/bench/ocr_noise) tests/accuracy.sh

check: ## unit, CLI, bad-input, fault, index, MPI tests and fuzz-replay under AddressSanitizer and UndefinedBehaviorSanitizer
	@scripts/install-deps.sh time gzip bzip2 xz-utils zstd tar zip jq sqlite3 openmpi-bin libopenmpi-dev
	@$(MAKE) --no-print-directory BUILD=build/san CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" \
	    unit cli-test badinput threads reread faults fuzz-replay index-test
	@ASAN_OPTIONS=fast_unwind_on_malloc=0 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/mpi-lsan.supp:print_suppressions=0 \
	    $(MAKE) --no-print-directory BUILD=build/san CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" mpi-test
	@! grep -n '#include "\.\./' src/cli/*.c || { echo "src/cli must use <dedup/...> only"; exit 1; }

$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz_common.h \
                         $(BUILD)/libdedup.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c \
	    $(BUILD)/libdedup.a $(LIBS)

fuzz-replay: all $(REPLAY_BIN) ## replay every saved fuzz input (tests/fuzz/corpus/<target>/*)
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    $(RUN) $(BUILD)/tests/replay_$$t tests/fuzz/corpus/$$t || fail=1; done; exit $$fail

# The library is rebuilt with clang and -fsanitize=fuzzer-no-link; new inputs go to
# build/fuzz/corpus/<target> (copy the interesting ones to tests/fuzz/corpus), crashes to
# build/fuzz/artifacts. FUZZ_ARGS passes libFuzzer flags, e.g. FUZZ_ARGS=-runs=10000000.
fuzz: ## libFuzzer on FUZZ_TARGET (jsonl text normalize pipeline) for FUZZ_TIME seconds
	@scripts/install-deps.sh clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang WERROR= \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist=$(CURDIR)/tests/fuzz/coverage-ignore.txt $(FUZZ_SAN)" build/fuzz/fuzz_$(FUZZ_TARGET)
	@mkdir -p build/fuzz/corpus/$(FUZZ_TARGET) build/fuzz/artifacts
	build/fuzz/fuzz_$(FUZZ_TARGET) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/artifacts/$(FUZZ_TARGET)- \
	    $(if $(wildcard tests/fuzz/$(FUZZ_TARGET).dict),-dict=tests/fuzz/$(FUZZ_TARGET).dict) \
	    $(FUZZ_ARGS) build/fuzz/corpus/$(FUZZ_TARGET) tests/fuzz/corpus/$(FUZZ_TARGET)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h build/fuzz/libdedup.a
	clang $(ALL_CPPFLAGS) -std=c11 -O1 -g -pthread -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	    build/fuzz/libdedup.a $(LIBS)

# Benchmarks (docs/performance.md): generated corpora in $(BUILD)/bench, never in git.
BENCH_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -pthread
$(BUILD)/bench/gen_corpus: bench/gen_corpus.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BUILD)/bench/gen_pool: bench/gen_pool.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BUILD)/bench/ocr_noise: bench/ocr_noise.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

ocr-devset: all $(BUILD)/bench/ocr_noise ## build the OCR dev set (scripts/ocr-devset.sh) into $(BUILD)/ocr-dev; needs ../shared
	@OCR_NOISE=$(BUILD)/bench/ocr_noise DEDUP=$(BUILD)/dedup scripts/ocr-devset.sh $(BUILD)/ocr-dev

ocr-eval: all ocr-devset ## precision, recall and F1 per noise rate on the OCR dev set (docs/ALGORITHMS.md)
	@DEDUP=$(abspath $(BUILD)/dedup) scripts/ocr-eval.sh $(BUILD)/ocr-dev

$(BUILD)/bench/bench_sign: tests/bench/bench_sign.c $(BUILD)/libdedup.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libdedup.a $(LIBS)

bench: all $(BUILD)/bench/gen_corpus $(BUILD)/bench/gen_pool $(BUILD)/bench/bench_sign ## signing per stage, end to end, peer comparison (BENCH_DOCS=1000000; long)
	@BUILD=$(BUILD) bench/run.sh

bench-index: all $(BUILD)/bench/gen_corpus ## stored index: add/query throughput, store size, query memory, stream latency (BENCH_INDEX_DOCS=1000000; long)
	@BUILD=$(BUILD) bench/index.sh

demo: all ## run dedup on the bundled sample (data/hama): one story, five reports
	$(BUILD)/dedup data/hama

golden-update: all ## rewrite golden CLI outputs (review with git diff)
	@UPDATE=1 DEDUP=$(abspath $(BUILD)/dedup) tests/cli/run.sh

install: all ## install binary, library, headers, pkg-config file, man page and bash completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/dedup \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(BUILD)/dedup $(DESTDIR)$(BINDIR)/dedup
	install -m 644 $(BUILD)/libdedup.a $(DESTDIR)$(LIBDIR)/libdedup.a
	install -m 644 include/dedup/*.h $(DESTDIR)$(INCLUDEDIR)/dedup/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' dedup.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/dedup.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/dedup.pc
	install -m 644 docs/dedup.1 $(DESTDIR)$(MANDIR)/man1/dedup.1
	install -m 644 contrib/dedup.bash-completion $(DESTDIR)$(BASHCOMPDIR)/dedup

uninstall: ## remove what install put in place
	rm -f $(DESTDIR)$(BINDIR)/dedup $(DESTDIR)$(LIBDIR)/libdedup.a \
	    $(DESTDIR)$(PKGCONFIGDIR)/dedup.pc $(DESTDIR)$(MANDIR)/man1/dedup.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/dedup
	rm -rf $(DESTDIR)$(INCLUDEDIR)/dedup

format: ## apply .clang-format to the sources
	clang-format -i $(wildcard src/*.c src/*.h src/cli/*.c src/cli/*.h include/dedup/*.h tests/unit/*.c)

clean: ## remove build outputs
	rm -rf build

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 16

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(MPI_OBJ:.o=.d)
