/* Unit tests for the reader: in-memory streams (text and JSON Lines), dd_decode_text, and
 * folder walks over a temporary tree. */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp, symlink */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dedup/dedup.h>

#include "helpers.h"

#define MAX_STREAMS 8

typedef struct ctx {
    dd_reader *r;
    FILE *streams[MAX_STREAMS];
    size_t n_streams;
    char dir[64]; /* temporary folder, "" when none */
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);

    if (!c)
        return -1;
    *state = c;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    ctx *c = *state;
    size_t i;

    dd_reader_free(c->r);
    for (i = 0; i < c->n_streams; i++)
        fclose(c->streams[i]);
    if (c->dir[0])
        nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(c);
    return 0;
}

static void new_reader(ctx *c, const dd_reader_opts *o)
{
    assert_int_equal(dd_reader_new(o, &c->r), DD_OK);
    assert_non_null(c->r);
}

/* Queue `len` bytes of `s` as a stream called `name`; the context closes it. */
static void add_bytes(ctx *c, const char *name, const char *s, size_t len, bool jsonl)
{
    FILE *f = mem_stream(s, len);

    assert_true(c->n_streams < MAX_STREAMS);
    c->streams[c->n_streams++] = f;
    assert_int_equal(dd_reader_add_stream(c->r, f, name, jsonl), DD_OK);
}

static void add_str(ctx *c, const char *name, const char *s, bool jsonl)
{
    add_bytes(c, name, s, strlen(s), jsonl);
}

static void next_ok(ctx *c, dd_doc *d)
{
    dd_status st = dd_reader_next(c->r, d);

    if (st != DD_OK)
        fail_msg("dd_reader_next: %s (%s)", dd_strerror(st), dd_reader_error(c->r));
}

static void next_fails(ctx *c, dd_status want, const char *msg_prefix)
{
    dd_doc d;
    dd_status st = dd_reader_next(c->r, &d);
    const char *msg = dd_reader_error(c->r);

    assert_int_equal(st, want);
    if (strncmp(msg, msg_prefix, strlen(msg_prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", msg, msg_prefix);
}

static void assert_text(const dd_doc *d, const char *want)
{
    assert_int_equal(d->len, strlen(want));
    assert_memory_equal(d->text, want, d->len);
}

/* ---- text streams ------------------------------------------------------------------ */

static void test_reader_text_stream_document(void **state)
{
    static const char body[] = "\n  \t\n  First line title  \r\nbody text here\n";
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    add_str(c, "story.txt", body, false);
    next_ok(c, &d);
    assert_string_equal(d.id, "story.txt");
    assert_string_equal(d.source, "story.txt");
    assert_string_equal(d.title, "First line title");
    assert_text(&d, body);
    assert_null(d.date);
    assert_null(d.warning);
    assert_int_equal(d.line, 0);
    assert_true(d.record_off == -1);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_streams_in_queue_order(void **state)
{
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    add_str(c, "one", "first", false);
    add_str(c, "two.jsonl", "{\"id\":\"j1\",\"text\":\"x\"}\n{\"id\":\"j2\",\"text\":\"y\"}\n", true);
    add_str(c, "three", "", false);
    next_ok(c, &d);
    assert_string_equal(d.id, "one");
    next_ok(c, &d);
    assert_string_equal(d.id, "j1");
    next_ok(c, &d);
    assert_string_equal(d.id, "j2");
    next_ok(c, &d); /* an empty text is a document; the pipeline decides it has no words */
    assert_string_equal(d.id, "three");
    assert_int_equal(d.len, 0);
    assert_string_equal(d.title, "");
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_text_binary_and_latin1(void **state)
{
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    add_bytes(c, "bin", "ab\0cd", 5, false);
    add_str(c, "old.txt", "\x93Quoted\x94 caf\xe9", false);
    next_fails(c, DD_EBINARY, "bin: ");
    next_ok(c, &d);
    assert_string_equal(d.id, "old.txt");
    assert_text(&d, "\xe2\x80\x9cQuoted\xe2\x80\x9d caf\xc3\xa9");
    assert_non_null(d.warning);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_text_max_doc_bytes(void **state)
{
    ctx *c = *state;
    dd_reader_opts o = dd_reader_opts_default();
    dd_doc d;

    o.max_doc_bytes = 16;
    new_reader(c, &o);
    add_str(c, "big.txt", "this text is clearly longer than sixteen bytes", false);
    add_str(c, "exact.txt", "sixteen bytes ok", false); /* exactly 16: allowed */
    next_fails(c, DD_ELIMIT, "big.txt: ");
    next_ok(c, &d);
    assert_string_equal(d.id, "exact.txt");
    assert_int_equal(d.len, 16);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

/* ---- JSON Lines -------------------------------------------------------------------- */

static void test_reader_jsonl_fields(void **state)
{
    static const char in[] =
        "{\"id\":\"a1\",\"text\":\"hello world\",\"title\":\"Hello\",\"date\":\"2024-01-02\"}\n"
        "{\"id\":42,\"text\":\"numeric id\"}\n"
        "{\"text\":\"\\n no id here\\nsecond line\"}\n";
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    add_str(c, "feed.jsonl", in, true);

    next_ok(c, &d);
    assert_string_equal(d.id, "a1");
    assert_text(&d, "hello world");
    assert_string_equal(d.title, "Hello");
    assert_string_equal(d.date, "2024-01-02");
    assert_string_equal(d.source, "feed.jsonl");
    assert_int_equal(d.line, 1);
    assert_true(d.record_off == 0);
    assert_int_equal(d.record_len, strchr(in, '\n') - in);

    next_ok(c, &d);
    assert_string_equal(d.id, "42");
    assert_string_equal(d.title, "numeric id"); /* no title field: first line of the text */
    assert_null(d.date);
    assert_int_equal(d.line, 2);
    assert_true(d.record_off == strchr(in, '\n') - in + 1);

    next_ok(c, &d);
    assert_string_equal(d.id, "feed.jsonl:3"); /* no id: name:line */
    assert_string_equal(d.title, "no id here");
    assert_text(&d, "\n no id here\nsecond line");
    assert_int_equal(d.line, 3);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

/* Records at the edges of the JSON Lines fast path (reader_json.c): each is either decided
 * there or handed to jansson, and the document must be the same either way. */
static void test_reader_jsonl_fast_path_edges(void **state)
{
    static const struct {
        const char *line, *id, *text, *title;
    } cases[] = {
        {"{\"id\":-0,\"text\":\"a\"}", "0", "a", "a"},
        {"{\"id\":7.5,\"text\":\"a\"}", "f:2", "a", "a"},
        {"{\"id\":1e2,\"text\":\"a\"}", "f:3", "a", "a"},
        {"{\"text\":\"\\u00e9\\ud83d\\ude00\\/\\t\"}", "f:4", "\xc3\xa9\xf0\x9f\x98\x80/\t",
         "\xc3\xa9\xf0\x9f\x98\x80/"},
        {"{\"topics\":[\"x\",{\"a\":[1,true,null]}],\"text\":\"b\",\"title\":null}", "f:5", "b",
         "b"},
        {"{\"text\":\"first\",\"text\":\"second\"}", "f:6", "second", "second"},
        {" { \"text\" : \"c\" , \"title\" : \"T\" } ", "f:7", "c", "T"},
        {"{\"t\\u0065xt\":\"escaped key\"}", "f:8", "escaped key", "escaped key"},
        {"{\"id\":123456789012345678,\"text\":\"big\"}", "123456789012345678", "big", "big"},
    };
    char in[2048] = "";
    ctx *c = *state;
    dd_doc d;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        strcat(in, cases[i].line);
        strcat(in, "\n");
    }
    new_reader(c, NULL);
    add_str(c, "f", in, true);
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        next_ok(c, &d);
        assert_string_equal(d.id, cases[i].id);
        assert_text(&d, cases[i].text);
        assert_string_equal(d.title, cases[i].title);
    }
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_jsonl_dotted_field_paths(void **state)
{
    ctx *c = *state;
    dd_reader_opts o = dd_reader_opts_default();
    dd_doc d;

    o.text_field = "meta.body";
    o.id_field = "meta.ref.id";
    o.title_field = "meta.head";
    new_reader(c, &o);
    add_str(c, "n.jsonl",
            "{\"meta\":{\"body\":\"nested text\",\"ref\":{\"id\":7},\"head\":\"H\"},"
            "\"text\":\"top-level\"}\n"
            "{\"meta\":{\"head\":\"no body\"},\"text\":\"top-level only\"}\n"
            "{\"meta\":\"not an object\"}\n",
            true);
    next_ok(c, &d);
    assert_text(&d, "nested text");
    assert_string_equal(d.id, "7");
    assert_string_equal(d.title, "H");
    next_fails(c, DD_EPARSE, "n.jsonl:2: no \"meta.body\" field");
    next_fails(c, DD_EPARSE, "n.jsonl:3: no \"meta.body\" field");
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_jsonl_errors_continue(void **state)
{
    static const struct {
        const char *line;
        dd_status want;
        const char *msg; /* prefix of dd_reader_error, or the id on DD_OK */
    } cases[] = {
        {"{\"id\":\"ok1\",\"text\":\"fine\"}", DD_OK, "ok1"},
        {"{not json", DD_EPARSE, "f.jsonl:2: invalid JSON"},
        {"{\"id\":\"x\"}", DD_EPARSE, "f.jsonl:3: no \"text\" field"},
        {"{\"text\":5}", DD_EPARSE, "f.jsonl:4: \"text\" is not a string"},
        {"{\"text\":null}", DD_EPARSE, "f.jsonl:5: \"text\" is not a string"},
        {"[1,2,3]", DD_EPARSE, "f.jsonl:6: record is not a JSON object"},
        {"\"just a string\"", DD_EPARSE, "f.jsonl:7: "}, /* jansson: not a JSON text */
        {"{\"text\":\"a\"} trailing", DD_EPARSE, "f.jsonl:8: invalid JSON"},
        {"{\"id\":\"ok2\",\"text\":\"after errors\"}", DD_OK, "ok2"},
    };
    char in[1024] = "";
    ctx *c = *state;
    size_t i;
    dd_doc d;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strcat(in, cases[i].line);
        strcat(in, "\n");
    }
    new_reader(c, NULL);
    add_str(c, "f.jsonl", in, true);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].want == DD_OK) {
            next_ok(c, &d);
            assert_string_equal(d.id, cases[i].msg);
            assert_int_equal(d.line, i + 1);
        } else {
            next_fails(c, cases[i].want, cases[i].msg);
        }
    }
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_jsonl_blank_lines_skipped(void **state)
{
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    add_str(c, "b.jsonl",
            "\n   \n{\"id\":\"a\",\"text\":\"x\"}\n\t\r\n\n{\"id\":\"b\",\"text\":\"y\"}\n\n", true);
    next_ok(c, &d);
    assert_string_equal(d.id, "a");
    assert_int_equal(d.line, 3); /* blank lines still count for line numbers */
    next_ok(c, &d);
    assert_string_equal(d.id, "b");
    assert_int_equal(d.line, 6);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_jsonl_last_line_without_newline(void **state)
{
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    add_str(c, "n.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}", true);
    next_ok(c, &d);
    next_ok(c, &d);
    assert_string_equal(d.id, "b");
    assert_int_equal(d.record_len, strlen("{\"id\":\"b\",\"text\":\"y\"}"));
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_jsonl_max_doc_bytes(void **state)
{
    ctx *c = *state;
    dd_reader_opts o = dd_reader_opts_default();
    dd_doc d;

    o.max_doc_bytes = 40;
    new_reader(c, &o);
    add_str(c, "l.jsonl",
            "{\"id\":\"big\",\"text\":\"a record that is longer than forty bytes\"}\n"
            "{\"id\":\"small\",\"text\":\"ok\"}\n",
            true);
    next_fails(c, DD_ELIMIT, "l.jsonl:1: ");
    next_ok(c, &d);
    assert_string_equal(d.id, "small");
    assert_int_equal(d.line, 2);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

/* ---- dd_decode_text ---------------------------------------------------------------- */

#define S(lit) lit, sizeof lit - 1

static void test_reader_decode_text(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want; /* NULL: DD_EBINARY */
        const char *warn; /* substring of the warning, NULL: no warning */
    } cases[] = {
        {S("plain ascii"), "plain ascii", NULL},
        {S("caf\xc3\xa9"), "caf\xc3\xa9", NULL},
        {S(""), "", NULL},
        {S("\xef\xbb\xbfhello"), "hello", NULL},           /* UTF-8 BOM dropped */
        {S("\xff\xfeh\0i\0"), "hi", "UTF-16"},              /* UTF-16LE */
        {S("\xfe\xff\0h\0i"), "hi", "UTF-16"},              /* UTF-16BE */
        {S("\xff\xfe\x3d\xd8\x00\xde"), "\xf0\x9f\x98\x80", "UTF-16"}, /* surrogate pair */
        {S("\xfe\xff\0\xe9"), "\xc3\xa9", "UTF-16"},
        {S("ab\0cd"), NULL, NULL},                          /* NUL: binary */
        {S("\x93Quoted\x94 caf\xe9"), "\xe2\x80\x9cQuoted\xe2\x80\x9d caf\xc3\xa9", "1252"},
        {S("\x80 euro"), "\xe2\x82\xac euro", "1252"},
        {S("caf\xc3\xa9 \xff end"), "caf\xc3\xa9 \xef\xbf\xbd end", "U+FFFD"},
        {S("\xe2\x80\x9cok\xe2\x80\x9d \x93"), "\xe2\x80\x9cok\xe2\x80\x9d \xef\xbf\xbd",
         "U+FFFD"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static char sentinel;
        char *out = &sentinel;
        size_t out_len = 99;
        const char *warn = "unset";
        dd_status st = dd_decode_text(cases[i].in, cases[i].len, &out, &out_len, &warn);

        if (!cases[i].want) {
            assert_int_equal(st, DD_EBINARY);
            assert_null(out);
            continue;
        }
        if (st != DD_OK)
            fail_msg("case %zu: %s", i, dd_strerror(st));
        if (out_len != strlen(cases[i].want) || memcmp(out, cases[i].want, out_len) != 0)
            fail_msg("case %zu: got \"%.*s\"", i, (int)out_len, out);
        assert_int_equal(out[out_len], '\0');
        if (cases[i].warn) {
            assert_non_null(warn);
            if (!strstr(warn, cases[i].warn))
                fail_msg("case %zu: warning \"%s\" lacks \"%s\"", i, warn, cases[i].warn);
        } else {
            assert_null(warn);
        }
        free(out);
    }
}

/* ---- folders ----------------------------------------------------------------------- */

static void make_dir(ctx *c, const char *rel)
{
    char p[256];

    snprintf(p, sizeof p, "%s/%s", c->dir, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void make_file(ctx *c, const char *rel, const char *content)
{
    char p[256];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", c->dir, rel);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void make_link(ctx *c, const char *target, const char *rel)
{
    char p[256];

    snprintf(p, sizeof p, "%s/%s", c->dir, rel);
    assert_int_equal(symlink(target, p), 0);
}

static void make_tmpdir(ctx *c)
{
    strcpy(c->dir, "/tmp/dd-unit-reader-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
}

/* Expect a document whose id is the temp dir followed by `rel`. */
static void next_is(ctx *c, const char *rel, const char *text)
{
    char want[256];
    dd_doc d;

    snprintf(want, sizeof want, "%s/%s", c->dir, rel);
    next_ok(c, &d);
    assert_string_equal(d.id, want);
    if (text)
        assert_text(&d, text);
}

static void next_fails_at(ctx *c, dd_status want, const char *rel)
{
    char prefix[256];

    snprintf(prefix, sizeof prefix, "%s/%s: ", c->dir, rel);
    next_fails(c, want, prefix);
}

static void test_reader_folder_walk_order(void **state)
{
    ctx *c = *state;
    dd_doc d;

    make_tmpdir(c);
    /* Byte order: upper case before lower case, '.' before letters, folders in place. */
    make_file(c, "b.txt", "bee");
    make_file(c, "B.txt", "capital bee");
    make_file(c, "a.txt", "ay");
    make_dir(c, "a");
    make_dir(c, "a/z");
    make_file(c, "a/z/deep.txt", "deep");
    make_file(c, "a/m.txt", "em");
    make_file(c, "a.b", "dot");
    new_reader(c, NULL);
    assert_int_equal(dd_reader_add_path(c->r, c->dir), DD_OK);
    next_is(c, "B.txt", "capital bee");
    next_is(c, "a/m.txt", "em");
    next_is(c, "a/z/deep.txt", "deep");
    next_is(c, "a.b", "dot");
    next_is(c, "a.txt", "ay");
    next_is(c, "b.txt", "bee");
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_folder_jsonl_read_as_records(void **state)
{
    ctx *c = *state;
    char src[256];
    dd_doc d;

    make_tmpdir(c);
    make_dir(c, "sub");
    make_file(c, "sub/feed.jsonl", "{\"id\":\"r1\",\"text\":\"one\"}\n{\"id\":\"r2\",\"text\":\"two\"}\n");
    make_file(c, "sub/note.txt", "plain");
    new_reader(c, NULL);
    assert_int_equal(dd_reader_add_path(c->r, c->dir), DD_OK);
    snprintf(src, sizeof src, "%s/sub/feed.jsonl", c->dir);
    next_ok(c, &d);
    assert_string_equal(d.id, "r1");
    assert_string_equal(d.source, src);
    assert_int_equal(d.line, 1);
    next_ok(c, &d);
    assert_string_equal(d.id, "r2");
    assert_int_equal(d.line, 2);
    next_is(c, "sub/note.txt", "plain");
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

/* Documents from files and JSON Lines records come back from dd_reader_reread the same;
 * streams are not rereadable; a record whose file shrank is an error naming it. */
static void test_reader_reread(void **state)
{
    ctx *c = *state;
    dd_reader *again = NULL;
    dd_doc d, e;
    char src[256], p[400];
    struct {
        char source[256];
        size_t line, len;
        long off;
        char text[64], title[64];
    } seen[3];
    size_t i;

    make_tmpdir(c);
    make_file(c, "a.jsonl", "\xEF\xBB\xBF{\"id\":\"r1\",\"title\":\"T\",\"text\":\"one\"}\n\n"
                            "{\"id\":\"r2\",\"meta\":{\"x\":1},\"text\":\"tw\\u00f6\"}\n");
    make_file(c, "b.txt", "Headline\nbody text");
    new_reader(c, NULL);
    assert_int_equal(dd_reader_add_path(c->r, c->dir), DD_OK);
    for (i = 0; i < 3; i++) {
        next_ok(c, &d);
        assert_true(d.rereadable);
        assert_null(d.record);
        snprintf(seen[i].source, sizeof seen[i].source, "%s", d.source);
        seen[i].line = d.line;
        seen[i].off = d.record_off;
        seen[i].len = d.record_len;
        snprintf(seen[i].text, sizeof seen[i].text, "%.*s", (int)d.len, d.text);
        snprintf(seen[i].title, sizeof seen[i].title, "%s", d.title);
    }
    assert_int_equal(seen[0].off, 3); /* after the byte-order mark */
    assert_int_equal(dd_reader_new_like(c->r, &again), DD_OK);
    for (i = 3; i-- > 0;) { /* any order */
        assert_int_equal(dd_reader_reread(again, seen[i].source, seen[i].line, seen[i].off,
                                          seen[i].len, &e),
                         DD_OK);
        assert_true(e.rereadable);
        assert_text(&e, seen[i].text);
        assert_string_equal(e.title, seen[i].title);
        assert_int_equal(e.line, seen[i].line);
    }
    /* The JSON Lines file loses its second record: reading it again fails, by name. */
    snprintf(src, sizeof src, "%s/a.jsonl", c->dir);
    assert_int_equal(truncate(src, seen[1].off + 4), 0);
    assert_int_equal(dd_reader_reread(again, seen[1].source, seen[1].line, seen[1].off,
                                      seen[1].len, &e),
                     DD_EIO);
    snprintf(p, sizeof p, "%s:3: file is shorter than when it was read", src);
    assert_string_equal(dd_reader_error(again), p);
    dd_reader_free(again);
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
    /* A stream cannot be read again. */
    dd_reader_free(c->r);
    new_reader(c, NULL);
    add_str(c, "s", "streamed text", false);
    next_ok(c, &d);
    assert_false(d.rereadable);
}

static void test_reader_folder_bad_links_reported(void **state)
{
    ctx *c = *state;
    dd_doc d;

    make_tmpdir(c);
    make_file(c, "a.txt", "first");
    make_link(c, "no-such-target", "b-dangling");
    make_dir(c, "c");
    make_link(c, "..", "c/up");        /* directory cycle */
    make_link(c, "d-self", "d-self");  /* link to itself */
    make_file(c, "e.txt", "last");
    new_reader(c, NULL);
    assert_int_equal(dd_reader_add_path(c->r, c->dir), DD_OK);
    next_is(c, "a.txt", "first");
    next_fails_at(c, DD_EIO, "b-dangling");
    next_fails_at(c, DD_EIO, "c/up");
    next_fails_at(c, DD_EIO, "d-self");
    next_is(c, "e.txt", "last"); /* the walk goes on after each problem */
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

static void test_reader_missing_path_continues(void **state)
{
    ctx *c = *state;
    dd_doc d;

    new_reader(c, NULL);
    assert_int_equal(dd_reader_add_path(c->r, "/nonexistent/dd-unit/no-such.txt"), DD_OK);
    add_str(c, "after", "still read", false);
    next_fails(c, DD_EIO, "/nonexistent/dd-unit/no-such.txt: ");
    next_ok(c, &d);
    assert_string_equal(d.id, "after");
    assert_int_equal(dd_reader_next(c->r, &d), DD_END);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reader_text_stream_document),
        T(test_reader_streams_in_queue_order),
        T(test_reader_text_binary_and_latin1),
        T(test_reader_text_max_doc_bytes),
        T(test_reader_jsonl_fields),
        T(test_reader_jsonl_fast_path_edges),
        T(test_reader_jsonl_dotted_field_paths),
        T(test_reader_jsonl_errors_continue),
        T(test_reader_jsonl_blank_lines_skipped),
        T(test_reader_jsonl_last_line_without_newline),
        T(test_reader_jsonl_max_doc_bytes),
        T(test_reader_decode_text),
        T(test_reader_folder_walk_order),
        T(test_reader_folder_jsonl_read_as_records),
        T(test_reader_folder_bad_links_reported),
        T(test_reader_missing_path_continues),
        T(test_reader_reread),
    };
#undef T
    return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
