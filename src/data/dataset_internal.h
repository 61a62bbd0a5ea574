/* Shared by the dataset readers (dataset.c, dataset_readers.c): recording
 * problems, adding clips with their checks, and reading annotation lines. */
#ifndef ND_DATA_DATASET_INTERNAL_H
#define ND_DATA_DATASET_INTERNAL_H

#include "data/dataset.h"

/* Adds a clip whose frames are the image files in folder dir, after the
 * checks every reader shares: label in range, folder present and not
 * empty, stray files, and the annotated frame count (-1: none) against the
 * disk. A clip that fails a check is recorded as a problem and left out.
 * Duplicate ids are found after reading, by nd_dataset_open. Returns 0. */
int nd_dataset_add_frames(nd_dataset *ds, int split, const char *id, int label,
                          const char *dir, int annotated);

/* Adds a clip stored as one video file, after the label check. */
int nd_dataset_add_video(nd_dataset *ds, int split, const char *id, int label,
                         const char *path);

/* Returns 1 when the file name has a video extension (.mp4 .avi .mkv .mov
 * .webm .mpg .mpeg .m4v .wmv .flv, any case). */
int nd_is_video_name(const char *name);

/* Calls fn on every line of a text file with its 1-based number, after
 * removing a UTF-8 byte order mark, the line end (LF or CRLF) and trailing
 * blanks. Stops when fn returns -1. Returns 0, or -1 when the file cannot
 * be read (nd_fail set) or fn failed. */
typedef int (*nd_line_fn)(void *ctx, char *line, int number);
int nd_for_each_line(const char *path, nd_line_fn fn, void *ctx);

/* Sets the class names of the dataset. */
void nd_dataset_set_labels(nd_dataset *ds, const char *const *names, int count);

/* Finds a class name among the dataset's labels, ignoring case and
 * accepting the noun forms datasets use (anger, happiness, sadness,
 * surprised, disgusted, fearful). Returns the index or -1. */
int nd_dataset_find_label(const nd_dataset *ds, const char *name);

/* The readers. Each fills ds->splits and records problems; returns -1
 * with nd_fail() only when the dataset cannot be read at all (root or an
 * annotation file missing). */
int nd_read_dfew(nd_dataset *ds);
int nd_read_list(nd_dataset *ds);
int nd_read_ferv39k(nd_dataset *ds);
int nd_read_afew(nd_dataset *ds);
int nd_read_mafw(nd_dataset *ds);
int nd_read_folder(nd_dataset *ds);

#endif
