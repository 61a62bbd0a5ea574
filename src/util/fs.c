#include "util/fs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

int nd_natural_compare(const char *a, const char *b) {
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            const char *sa = a, *sb = b;
            while (*sa == '0')
                sa++;
            while (*sb == '0')
                sb++;
            const char *ea = sa, *eb = sb;
            while (isdigit((unsigned char)*ea))
                ea++;
            while (isdigit((unsigned char)*eb))
                eb++;
            if (ea - sa != eb - sb)
                return (ea - sa) < (eb - sb) ? -1 : 1;
            int c = strncmp(sa, sb, (size_t)(ea - sa));
            if (c)
                return c;
            /* Equal values: fewer leading zeros first, for a stable order. */
            if ((sa - a) != (sb - b))
                return (sa - a) < (sb - b) ? -1 : 1;
            a = ea;
            b = eb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

char *nd_path_join(const char *dir, const char *name) {
    size_t n = strlen(dir);
    int need_slash = n > 0 && dir[n - 1] != '/';
    char *p = nd_malloc(n + strlen(name) + 2);
    sprintf(p, need_slash ? "%s/%s" : "%s%s", dir, name);
    return p;
}

int nd_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int nd_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int nd_mkdir_p(const char *path) {
    char *p = nd_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            return nd_fail("cannot create folder %s: %s", path, strerror(e));
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        free(p);
        return nd_fail("cannot create folder %s: %s", path, strerror(e));
    }
    free(p);
    if (!nd_is_dir(path))
        return nd_fail("cannot create folder %s: a file of that name exists", path);
    return 0;
}

static int compare_names(const void *a, const void *b) {
    return nd_natural_compare(*(char *const *)a, *(char *const *)b);
}

int nd_list_dir(const char *dir, char ***names, int *count) {
    DIR *d = opendir(dir);
    if (!d)
        return nd_fail("cannot open folder %s: %s", dir, strerror(errno));
    int n = 0, cap = 64;
    char **list = nd_malloc(sizeof *list * (size_t)cap);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap *= 2;
            list = nd_realloc(list, sizeof *list * (size_t)cap);
        }
        list[n++] = nd_strdup(e->d_name);
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof *list, compare_names);
    *names = list;
    *count = n;
    return 0;
}

void nd_free_list(char **names, int count) {
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

int nd_check_output_path(const char *path) {
    if (nd_is_dir(path))
        return nd_fail("cannot write %s because it is a folder: give a file name", path);

    /* The folder part of path, or "." when path has none. */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? nd_strdup(path) : nd_strdup(".");
    if (slash)
        dir[slash == path ? 1 : slash - path] = '\0';
    struct stat st;
    int rc = 0;
    int missing = stat(dir, &st) != 0;
    int e = errno;
    if (missing && (e == ENOENT || e == ENOTDIR))
        rc = nd_fail("cannot write %s: folder %s not found. Create it first", path, dir);
    else if (missing)
        rc = nd_fail("cannot write %s: %s: %s", path, dir, strerror(e));
    else if (!S_ISDIR(st.st_mode))
        rc = nd_fail("cannot write %s: %s is not a folder", path, dir);
    free(dir);
    return rc;
}

int nd_atomic_open(nd_atomic_file *f, const char *path) {
    if (nd_check_output_path(path) != 0)
        return -1;
    f->path = nd_strdup(path);
    f->tmp_path = nd_malloc(strlen(path) + 32);
    sprintf(f->tmp_path, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        int e = errno;
        nd_fail("cannot write %s (through the temporary file %s): %s", path, f->tmp_path,
                strerror(e));
        free(f->path);
        free(f->tmp_path);
        return -1;
    }
    return 0;
}

int nd_atomic_commit(nd_atomic_file *f) {
    int failed = fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0;
    int e = errno;
    failed |= fclose(f->fp) != 0;
    if (!failed && rename(f->tmp_path, f->path) != 0) {
        e = errno;
        failed = 1;
    }
    if (failed) {
        remove(f->tmp_path);
        nd_fail("cannot write %s: %s", f->path, strerror(e));
    }
    free(f->path);
    free(f->tmp_path);
    return failed ? -1 : 0;
}

void nd_atomic_abort(nd_atomic_file *f) {
    fclose(f->fp);
    remove(f->tmp_path);
    free(f->path);
    free(f->tmp_path);
}

int nd_read_file(const char *path, char **data, size_t *size) {
    if (nd_is_dir(path))
        return nd_fail("%s is a folder, not a file", path);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return nd_fail("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = nd_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = nd_realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return nd_fail("cannot read %s", path);
    }
    buf[n] = '\0';
    *data = buf;
    if (size)
        *size = n;
    return 0;
}

char *nd_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        return nd_strdup(".");
    if (slash == path)
        return nd_strdup("/");
    char *dir = nd_strdup(path);
    dir[slash - path] = '\0';
    return dir;
}
