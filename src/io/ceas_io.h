/*
 * ceas_io — HDF5 output files that are never seen half-written.
 *
 * A file is created under a temporary name in the destination's directory
 * ("<dir>/.<name>.tmp.<pid>.<8 random hex digits>", created O_EXCL, so that a
 * symlink planted at any name is never followed) and becomes visible under its
 * real name only when ceas_io_file_commit() succeeds: every HDF5 flush and close
 * succeeded, no HDF5 call failed on I/O while the file was open (a failed write
 * can surface only at H5Dclose, whose status callers need not check), the file
 * was fsync'ed, moved into place and its directory fsync'ed. Any failure removes
 * the temporary, publishes nothing and is CEAS_EIO naming the file. Without
 * `force` the commit is a hard link that fails if the destination appeared in
 * the meantime, so nothing a user has written is replaced; with `force` it is an
 * atomic rename(). A killed process leaves at most a recognisable temporary file
 * behind.
 *
 * ceas_io_check_output() is the early check a command makes before any work:
 * the path must name a file (no trailing '/'), the directory must exist, a file
 * must be creatable in it (an exclusive temporary is created and removed: access()
 * alone says yes to root on /sys), and the file must not exist unless `force`.
 * Bad paths are the user's input: CEAS_EINPUT; a full disk is CEAS_EIO.
 *
 * The small writers put scalar attributes and datasets on any HDF5 location
 * (file or group) and return CEAS_EIO with a message on failure. String
 * attributes are variable-length UTF-8 (h5py reads them as str). HDF5's own error
 * stack printing is switched off by ceas_io_init(); messages come from here.
 */
#ifndef CEAS_IO_H
#define CEAS_IO_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ceas_core.h"

#ifdef __cplusplus
extern "C" {
#endif

void ceas_io_init(void);

int ceas_io_check_output(const char *path, int force);

typedef struct {
  hid_t file;
  char *path;
  char *tmp;
  int force;
  long failures;      /* HDF5 I/O failures counted before the file was created */
  uint64_t dev, ino;  /* of the temporary, checked again before it is synced */
} ceas_io_file;

int ceas_io_file_create(const char *path, int force, ceas_io_file *f);
/* Closes the file and moves it into place. On failure the temporary is removed. */
int ceas_io_file_commit(ceas_io_file *f);
/* Closes and removes the temporary (after an error or an interrupt). */
void ceas_io_file_abort(ceas_io_file *f);
/* The three in one: creates `path`, calls write(ctx, file) and commits the file if
 * it returns CEAS_OK, else aborts it and returns its code. */
int ceas_io_write_hdf5(const char *path, int force, int (*write)(const void *ctx, hid_t file),
                       const void *ctx);
/* A text file (JSON, edge list) written the same way: check, exclusive temporary,
 * write(2), fsync, link or rename, directory fsync; nothing published on error. */
int ceas_io_write_text(const char *path, int force, const char *text, size_t len);

/* 1 if the stream starts with the 8-byte HDF5 signature (a file at offset 0,
 * the only place ceasim's files have it), 0 if not, a short file included. Reads
 * from the current position and rewinds `fp` to its start; the caller keeps the
 * stream open and owns it. Never fails: a read error is "not HDF5", and the
 * caller's parser of the other format then reports the file. */
int ceas_io_is_hdf5(FILE *fp);

/* Inputs must be self-contained: CEAS_EINPUT naming `source` if HDF5 file `file`
 * holds an external or user-defined link, or a dataset whose data lives in
 * another file (external storage, a virtual dataset). A reader calls it right
 * after H5Fopen, before it follows any link (an external link opens whatever
 * file it names, as the user running ceasim). */
int ceas_io_self_contained(hid_t file, const char *source);

/* CEAS_EIO "FILE: cannot write WHAT 'NAME'", FILE the name that the file of `loc`
 * will be published as: for writers that call HDF5 directly. */
int ceas_io_write_error(hid_t loc, const char *what, const char *name);

int ceas_io_attr_string(hid_t loc, const char *name, const char *value);
int ceas_io_attr_double(hid_t loc, const char *name, double value);
int ceas_io_attr_int64(hid_t loc, const char *name, int64_t value);
int ceas_io_attr_uint64(hid_t loc, const char *name, uint64_t value);

int ceas_io_write_doubles(hid_t loc, const char *name, const double *x,
                          size_t n);
/* rows x cols, row-major (x[i * cols + j]). */
int ceas_io_write_doubles_2d(hid_t loc, const char *name, const double *x, size_t rows,
                             size_t cols);
int ceas_io_write_scalar(hid_t loc, const char *name, double value,
                         hid_t *dataset_out);
/* Creates (or opens, if it exists) group `name` under loc; caller H5Gclose()s. */
int ceas_io_group(hid_t loc, const char *name, hid_t *group);

int ceas_io_write_int8(hid_t loc, const char *name, const int8_t *x, size_t n);
int ceas_io_write_int64s(hid_t loc, const char *name, const int64_t *x, size_t n);
int ceas_io_write_uint64s(hid_t loc, const char *name, const uint64_t *x, size_t n);

/* Copies scalar attribute `name` (string, integer or float) from one location to
 * another, as the same kind; nothing if `from` has none. */
int ceas_io_copy_attr(hid_t from, hid_t to, const char *name);

/* 1-D dataset of n variable-length UTF-8 strings. */
int ceas_io_write_strings(hid_t loc, const char *name, const char *const *v, size_t n);

/* ---- files that explain themselves -------------------------------------------
 * Every dataset of a ceasim file carries two string attributes, `units` and
 * `description`, so that a reader with h5py and the file alone understands it.
 * The writer of each file layout keeps one table of rows and calls
 * ceas_io_describe() on the finished file, before ceas_io_file_commit():
 *  - `path` is an fnmatch(3) pattern on the dataset's path without the leading
 *    '/', with '*' matching across '/' ("*timeseries/energy" matches a run file's
 *    "timeseries/energy" and a demo file's "runs/beta_0.300000/timeseries/energy");
 *    the first matching row wins;
 *  - "{attr}" in `units` or `description` is replaced by the value of attribute
 *    `attr` on the dataset or the nearest group above it that has one (the root
 *    last): τ_int says how many sweeps of which algorithm one measurement is;
 *  - a row with NULL `units` is for the companions "<base><suffix>" of datasets
 *    (its pattern ends in "*<suffix>", e.g. "*_error"): it takes the units of the
 *    row that <base> matches, and "{base}" in its description is <base>'s name.
 * A dataset that no row matches is an error naming it (CEAS_EIO): nothing goes
 * out undocumented. The table ends with a row whose `path` is NULL. */
typedef struct {
  const char *path;
  const char *units;
  const char *description;
} ceas_io_doc;

int ceas_io_describe(hid_t file, const ceas_io_doc *rows);

/* ---- reading (files ceasim wrote: checkpoints, task files) ------------------
 * `source` names the file in messages; a missing or mistyped item is CEAS_EINPUT. */
int ceas_io_read_attr_double(hid_t loc, const char *source, const char *name,
                             double *value);
int ceas_io_read_attr_int64(hid_t loc, const char *source, const char *name,
                            int64_t *value);
int ceas_io_read_attr_uint64(hid_t loc, const char *source, const char *name,
                             uint64_t *value);
/* Variable-length (what ceasim writes) or fixed-length strings. */
int ceas_io_read_attr_string(hid_t loc, const char *source, const char *name,
                             char *buf, size_t cap);
/* The one check before memory is allocated for a dataset of any file (task files,
 * couplings, weights): a header only claims sizes. Dataset D, NAME in file SOURCE,
 * must hold entries x elem_size bytes that fit in memory (ceas_size_check); without
 * filters the file must store every byte; chunked, every chunk must have been
 * written; with filters (compression) the stored bytes must be able to expand to the
 * claimed size (deflate expands at most 1032:1, so a ratio above 2048 is a lie).
 * 0 and *entries (the product of the dimensions), or CEAS_EINPUT naming SOURCE. */
int ceas_io_dataset_check(hid_t d, const char *source, const char *name, size_t elem_size,
                          uint64_t *entries);
/* Reads a 1-D dataset of exactly n elements into x (converted to the memory type). */
int ceas_io_read_doubles(hid_t loc, const char *source, const char *name,
                         double *x, size_t n);
int ceas_io_read_int8(hid_t loc, const char *source, const char *name, int8_t *x,
                      size_t n);
int ceas_io_read_uint64s(hid_t loc, const char *source, const char *name, uint64_t *x,
                         size_t n);

/* ---- sealed files -------------------------------------------------------------
 * Every file ceas_io_file_commit() publishes ends in a 22-byte trailer
 * "ceasim-crc32:<8 hex digits>\n", zlib's CRC-32 of every byte before it (HDF5 ignores bytes past its end of file: h5py and h5dump read it as before).
 * A reader checks it before HDF5 parses anything, since HDF5 1.10 can crash on
 * damaged metadata (seal.c says why this and not HDF5's own checksums).
 * ceas_io_seal appends the trailer to the closed temporary TMP (PATH names it in
 * messages). ceas_io_verify checks the trailer where there is one; a file without
 * one (an earlier build's, another program's: couplings, weights) is left to HDF5,
 * which refuses a truncated file by its end-of-file check. ceas_io_open_read
 * verifies, then opens read-only. A bad file is CEAS_EINPUT naming PATH and what is
 * wrong. */
#define CEAS_IO_SEAL_BYTES 22
int ceas_io_seal(const char *tmp, const char *path);
int ceas_io_verify(const char *path);
int ceas_io_open_read(const char *path, hid_t *file);

#ifdef __cplusplus
}
#endif

#endif
