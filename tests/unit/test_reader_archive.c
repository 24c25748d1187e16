/* Unit tests for the archive side of the reader: a gzip'd JSON Lines file (bytes below, made
 * with Python's gzip at mtime 0) is recognised by content under a name without .gz, its
 * records keep their raw line for --emit, and a plain file that merely looks binary-ish is
 * not taken for an archive. Files are written to a mkdtemp folder. */
/* cmocka 1.x needs these four headers before it; keep clang-format from sorting them */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dedup/dedup.h>

static const unsigned char gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x35, 0xcb, 0x41, 0x0a,
    0x80, 0x20, 0x14, 0x84, 0xe1, 0x7d, 0xa7, 0x18, 0xde, 0xda, 0x4d, 0x2d, 0x3b, 0x4f,
    0xa3, 0x3d, 0x08, 0x05, 0x7d, 0x99, 0x20, 0xdd, 0xbd, 0x84, 0xda, 0xcd, 0x3f, 0xf0,
    0x75, 0xd1, 0x4d, 0x56, 0x09, 0xb3, 0x38, 0x31, 0x36, 0x7b, 0x77, 0x8a, 0x84, 0x5d,
    0x09, 0xb6, 0x67, 0x12, 0x3e, 0x9d, 0x19, 0x5e, 0x2b, 0x51, 0xb4, 0xc9, 0x3d, 0xf5,
    0x0f, 0x2c, 0xe2, 0xf0, 0x8b, 0xc2, 0xca, 0x08, 0x6a, 0xd8, 0x0d, 0x51, 0x07, 0x1f,
    0x79, 0x8c, 0xf7, 0x15, 0x0f, 0x9e, 0x7a, 0xa6, 0xc1, 0x63, 0x00, 0x00, 0x00};

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_reader_archive_gzip_jsonl(void **state)
{
    char dir[] = "/tmp/dedup-test-XXXXXX", path[64];
    dd_reader *r = NULL;
    dd_doc d;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/feed.jsonl.gz", dir);
    write_file(path, gz, sizeof gz);
    assert_int_equal(dd_reader_new(NULL, &r), DD_OK);
    assert_int_equal(dd_reader_add_path(r, path), DD_OK);
    assert_int_equal(dd_reader_next(r, &d), DD_OK);
    assert_string_equal(d.id, "g1");
    assert_int_equal(d.line, 1);
    assert_non_null(d.record);
    assert_int_equal(d.record_len,
                     strlen("{\"id\":\"g1\",\"text\":\"one two three four five six\"}"));
    assert_int_equal(dd_reader_next(r, &d), DD_OK);
    assert_string_equal(d.id, "g2");
    assert_true(strncmp(d.record, "{\"id\":\"g2\", \"text\"", 18) == 0);
    assert_int_equal(dd_reader_next(r, &d), DD_END);
    dd_reader_free(r);
    unlink(path);

    /* gzip data under a .txt name is still unpacked: one text document, its id the path */
    snprintf(path, sizeof path, "%s/plain.txt", dir);
    write_file(path, gz, sizeof gz);
    assert_int_equal(dd_reader_new(NULL, &r), DD_OK);
    assert_int_equal(dd_reader_add_path(r, path), DD_OK);
    assert_int_equal(dd_reader_next(r, &d), DD_OK);
    assert_string_equal(d.id, path);
    assert_non_null(strstr(d.text, "seven eight"));
    assert_int_equal(dd_reader_next(r, &d), DD_END);
    dd_reader_free(r);
    unlink(path);
    rmdir(dir);
}

static void test_reader_archive_truncated_is_one_item(void **state)
{
    char dir[] = "/tmp/dedup-test-XXXXXX", path[64];
    dd_reader *r = NULL;
    dd_doc d;
    dd_status st;
    size_t items = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cut.gz", dir);
    write_file(path, gz, 30);
    assert_int_equal(dd_reader_new(NULL, &r), DD_OK);
    assert_int_equal(dd_reader_add_path(r, path), DD_OK);
    while ((st = dd_reader_next(r, &d)) != DD_END) {
        assert_int_not_equal(st, DD_ENOMEM);
        items++;
    }
    assert_int_equal(items, 1);
    assert_non_null(strstr(dd_reader_error(r), "cut.gz: "));
    dd_reader_free(r);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_archive_gzip_jsonl),
        cmocka_unit_test(test_reader_archive_truncated_is_one_item),
    };
    return cmocka_run_group_tests_name("reader_archive", tests, NULL, NULL);
}
