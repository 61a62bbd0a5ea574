/* File-system helpers: paths, folder listings in natural order, and files
 * written atomically (a temporary file renamed into place, so a crash never
 * leaves a half-written file under the final name). */
#ifndef ND_UTIL_FS_H
#define ND_UTIL_FS_H

#include <stddef.h>
#include <stdio.h>

/* Compares names so that embedded numbers sort by value: "2.jpg" < "10.jpg". */
int nd_natural_compare(const char *a, const char *b);

/* Joins dir and name with one '/'. Returns a new string (free it). */
char *nd_path_join(const char *dir, const char *name);
/* Returns the folder part of path as a new string ("." when it has none). */
char *nd_dirname(const char *path);

int nd_is_dir(const char *path);
int nd_is_file(const char *path);

/* Creates path and its missing parents; returns 0 or -1 (nd_fail set). */
int nd_mkdir_p(const char *path);

/* Lists the entries of dir (files and folders, without "." and ".."),
 * sorted by nd_natural_compare. On success *names contains *count strings;
 * free them with nd_free_list(). Returns 0 or -1 (nd_fail set). */
int nd_list_dir(const char *dir, char ***names, int *count);
void nd_free_list(char **names, int count);

/* Checks that a file can be created at path: its folder exists and path is
 * not a folder. Returns 0, or -1 with nd_fail naming path and the fix. */
int nd_check_output_path(const char *path);

/* Atomic file writing: nd_atomic_open() opens "<path>.tmp.<pid>", and
 * nd_atomic_commit() flushes, fsyncs, closes and renames it onto path.
 * nd_atomic_abort() closes and removes the temporary file. */
typedef struct nd_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
} nd_atomic_file;

int nd_atomic_open(nd_atomic_file *f, const char *path);
int nd_atomic_commit(nd_atomic_file *f);
void nd_atomic_abort(nd_atomic_file *f);

/* Reads a whole file into a new buffer with a terminating NUL byte. */
int nd_read_file(const char *path, char **data, size_t *size);

#endif
