/* Output files that are whole or absent: a regular FILE is written to a temporary file beside
 * it (.FILE.XXXXXX), flushed, fsync'd and renamed over it, so a full disk, a size limit, an
 * error or a signal leaves the old FILE byte for byte and no temporary file. FIFOs, character
 * devices and descriptor names (/dev/stdout, /dev/fd/N) hold no data to lose and are written
 * straight through, as the shell's `>` would. Signal handlers remove live temporary files. */
#define _GNU_SOURCE /* fopencookie: the first write error is kept, not read back from errno */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Temporary files being written, for the signal handler: `live` is set only while the path
 * names a file of ours. Set and cleared with the caught signals blocked. */
#define CLI_SLOTS 4
static struct {
    char tmp[PATH_MAX + 16];
    char final[PATH_MAX];
    volatile sig_atomic_t live;
} slots[CLI_SLOTS];

static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
static mode_t new_file_mode = 0644;

/* Remove what is half-written, then die of the same signal (status 128 + N, and a SIGPIPE
 * stays quiet). Only async-signal-safe calls. */
static void on_signal(int sig)
{
    struct sigaction sa;
    size_t i;

    for (i = 0; i < CLI_SLOTS; i++) {
        if (slots[i].live)
            unlink(slots[i].tmp);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    raise(sig); /* delivered when the handler returns */
}

void cli_signals_init(void)
{
    struct sigaction sa, old;
    mode_t mask = umask(0);
    size_t i;

    umask(mask);
    new_file_mode = (mode_t)(0666 & ~mask);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* Past `ulimit -f` a write fails with EFBIG (and is reported) instead of killing us. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &sa, NULL);
    sa.sa_handler = on_signal;
    for (i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(&sa.sa_mask, caught[i]);
    for (i = 0; i < sizeof caught / sizeof caught[0]; i++) {
        /* An ignored signal stays ignored (nohup, `trap '' PIPE`, background jobs). */
        if (sigaction(caught[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(caught[i], &sa, NULL);
    }
}

static void block_signals(sigset_t *old)
{
    sigset_t set;
    size_t i;

    sigemptyset(&set);
    for (i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(&set, caught[i]);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
    cli_out *out = cookie;
    size_t done = 0;

    while (done < n) {
        ssize_t w = write(out->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!out->err)
                out->err = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Follow symbolic links from `name` to where the data lives, so a link stays a link and the
 * temporary file is made on its target's file system. Returns 0 (with *exists), an errno,
 * or -1 for a link into /proc (a descriptor: written straight through). */
static int resolve(const char *name, char *path, struct stat *sb, bool *exists)
{
    char link[PATH_MAX], next[PATH_MAX];
    int hops;

    if (strlen(name) >= PATH_MAX)
        return ENAMETOOLONG;
    strcpy(path, name);
    for (hops = 0; hops < 40; hops++) {
        ssize_t n;
        const char *slash;
        if (starts_with(path, "/proc/"))
            return -1;
        if (lstat(path, sb) != 0) {
            *exists = false;
            return errno == ENOENT ? 0 : errno;
        }
        *exists = true;
        if (!S_ISLNK(sb->st_mode))
            return 0;
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)
            return errno;
        link[n] = '\0';
        slash = strrchr(path, '/');
        if (link[0] == '/' || !slash)
            snprintf(next, sizeof next, "%s", link);
        else if (snprintf(next, sizeof next, "%.*s%s", (int)(slash + 1 - path), path, link) >=
                 (int)sizeof next)
            return ENAMETOOLONG;
        strcpy(path, next);
    }
    return ELOOP;
}

/* A folder, block device or socket cannot take a report; replacing it would lose it. */
static int refuse(const char *name, const struct stat *sb)
{
    mode_t m = sb->st_mode;

    if (S_ISDIR(m))
        fprintf(stderr, "dedup: %s: %s\n", name, strerror(EISDIR));
    else
        fprintf(stderr, "dedup: %s: is a %s; refusing to write to it\n", name,
                S_ISBLK(m) ? "block device" : S_ISSOCK(m) ? "socket" : "special file");
    return CLI_ERROR;
}

static int open_stream(cli_out *out)
{
    cookie_io_functions_t io = {NULL, cookie_write, NULL, NULL};

    out->f = fopencookie(out, "w", io);
    if (!out->f) {
        fprintf(stderr, "dedup: %s: %s\n", out->name, strerror(errno));
        return CLI_ERROR;
    }
    setvbuf(out->f, NULL, _IOFBF, 1 << 16);
    return -1;
}

static int open_through(cli_out *out)
{
    out->fd = open(out->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out->fd < 0) {
        fprintf(stderr, "dedup: %s: %s\n", out->name, strerror(errno));
        return CLI_ERROR;
    }
    return open_stream(out);
}

/* mkstemp beside `final`, registered for the signal handler before anyone can see it. */
static int make_temp(cli_out *out, int s, const char *final)
{
    const char *slash = strrchr(final, '/'), *base = slash ? slash + 1 : final;
    int dir_len = slash ? (int)(slash + 1 - final) : 0, err;
    sigset_t old;

    /* A name near NAME_MAX (255) would not fit with its dot and suffix: shorten it. */
    if (snprintf(slots[s].tmp, sizeof slots[s].tmp, "%.*s.%.200s.XXXXXX", dir_len, final,
                 base) >= (int)sizeof slots[s].tmp)
        return ENAMETOOLONG;
    strcpy(slots[s].final, final);
    block_signals(&old);
    out->fd = mkstemp(slots[s].tmp);
    err = errno;
    if (out->fd >= 0)
        slots[s].live = 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (out->fd < 0) {
        slots[s].final[0] = '\0';
        return err;
    }
    out->slot = s;
    return 0;
}

/* The temporary file gets the mode (and, where allowed, the owner and group) of the file it
 * replaces, or 0666 & ~umask for a new file: mkstemp's 0600 would hide it from its group. */
static void copy_mode(const cli_out *out, const struct stat *sb, bool exists)
{
    if (exists && (sb->st_uid != geteuid() || sb->st_gid != getegid()))
        (void)!fchown(out->fd, sb->st_uid, sb->st_gid);
    fchmod(out->fd, exists ? sb->st_mode & 07777 : new_file_mode);
}

enum { OUT_THROUGH = 100, OUT_ATOMIC }; /* apart from the exit codes */

/* What writing `name` means: OUT_THROUGH, OUT_ATOMIC (with the path to replace and its stat),
 * or CLI_ERROR, said: a folder, a block device or socket, a path that cannot be resolved. */
static int classify(const char *name, char *final, struct stat *sb, bool *exists)
{
    int err;

    if (starts_with(name, "/dev/fd/") || starts_with(name, "/dev/std") ||
        starts_with(name, "/proc/"))
        return OUT_THROUGH;
    err = resolve(name, final, sb, exists);
    if (err < 0)
        return OUT_THROUGH;
    if (err > 0) {
        fprintf(stderr, "dedup: %s: %s\n", name, strerror(err));
        return CLI_ERROR;
    }
    if (*exists && (S_ISFIFO(sb->st_mode) || S_ISCHR(sb->st_mode)))
        return OUT_THROUGH;
    if (*exists && !S_ISREG(sb->st_mode))
        return refuse(name, sb);
    return OUT_ATOMIC;
}

static int open_atomic(cli_out *out, const char *final, const struct stat *sb, bool exists)
{
    int err, s;

    for (s = 0; s < CLI_SLOTS && (slots[s].live || slots[s].final[0]); s++)
        ;
    err = s == CLI_SLOTS ? EMFILE : make_temp(out, s, final);
    if (err == ENOENT || err == ENOTDIR) {
        fprintf(stderr, "dedup: %s: %s\n", out->name, strerror(err));
        return CLI_ERROR;
    }
    if (err) {
        fprintf(stderr, "dedup: %s: cannot create a temporary file beside it: %s\n", out->name,
                strerror(err));
        return CLI_ERROR;
    }
    copy_mode(out, sb, exists);
    return -1;
}

static void out_init(cli_out *out, const char *name)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    out->fd = -1;
    out->slot = -1;
}

int cli_out_open(cli_out *out, const char *name)
{
    char final[PATH_MAX];
    struct stat sb;
    bool exists = false;
    int kind, rc;

    out_init(out, name);
    kind = classify(name, final, &sb, &exists);
    if (kind == OUT_THROUGH)
        return open_through(out);
    if (kind != OUT_ATOMIC)
        return kind;
    rc = open_atomic(out, final, &sb, exists);
    return rc >= 0 ? rc : open_stream(out);
}

static void release(cli_out *out)
{
    sigset_t old;

    if (out->slot < 0)
        return;
    block_signals(&old);
    if (slots[out->slot].live)
        unlink(slots[out->slot].tmp);
    slots[out->slot].live = 0;
    slots[out->slot].final[0] = '\0';
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    out->slot = -1;
}

void cli_out_discard(cli_out *out)
{
    if (out->f)
        fclose(out->f);
    if (out->fd >= 0)
        close(out->fd);
    out->f = NULL;
    out->fd = -1;
    release(out);
}

bool cli_out_failed(cli_out *out)
{
    return out->err || (out->f && ferror(out->f));
}

/* The directory entry is durable only once the directory itself is synced. File systems
 * that cannot sync a directory say EINVAL; that is not a failure of ours. */
static int sync_dir(const char *final)
{
    const char *slash = strrchr(final, '/');
    char dir[PATH_MAX];
    int fd, err = 0;

    if (!slash)
        strcpy(dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == final ? 1 : (int)(slash - final), final);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        err = errno;
    close(fd);
    return err;
}

static int fail(cli_out *out, int err)
{
    cli_out_discard(out);
    fprintf(stderr, "dedup: %s: write error: %s\n", out->name, strerror(err ? err : EIO));
    return CLI_ERROR;
}

int cli_out_commit(cli_out *out)
{
    sigset_t old;
    int err;

    if (fflush(out->f) != 0 || cli_out_failed(out))
        return fail(out, out->err);
    if (out->slot >= 0 && fsync(out->fd) != 0)
        return fail(out, errno);
    fclose(out->f);
    out->f = NULL;
    if (close(out->fd) != 0 && errno != EINTR) {
        out->fd = -1;
        return fail(out, errno);
    }
    out->fd = -1;
    if (out->slot < 0)
        return -1;
    block_signals(&old);
    err = rename(slots[out->slot].tmp, slots[out->slot].final) == 0 ? 0 : errno;
    if (err == 0)
        slots[out->slot].live = 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return fail(out, err);
    err = sync_dir(slots[out->slot].final);
    release(out);
    if (err) {
        fprintf(stderr, "dedup: %s: write error: %s\n", out->name, strerror(err));
        return CLI_ERROR;
    }
    return -1;
}

int cli_out_check(const char *name)
{
    char final[PATH_MAX];
    struct stat sb;
    bool exists = false;
    cli_out probe;
    int kind, rc;

    out_init(&probe, name);
    kind = classify(name, final, &sb, &exists);
    if (kind != OUT_ATOMIC)
        return kind == OUT_THROUGH ? -1 : kind;
    rc = open_atomic(&probe, final, &sb, exists);
    cli_out_discard(&probe);
    return rc;
}
