#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ceas_io.h"

/* Low-level I/O failures HDF5 reported, whether or not the caller looked at the
 * return value: a write that fails inside the sieve buffer surfaces only at
 * H5Dclose, and a dirty metadata entry evicted from the cache fails whatever call
 * evicted it. ceas_io_file_commit() refuses a file during whose life this count
 * moved (a full disk made `map` publish zeros with exit 0 before). */
static atomic_long io_failures;

static herr_t io_error_seen(unsigned n, const H5E_error2_t *e, void *data) {
  (void)n;
  if (e->maj_num == H5E_IO || e->min_num == H5E_WRITEERROR) *(int *)data = 1;
  return 0;
}

static herr_t note_failure(hid_t stack, void *data) {
  (void)data;
  int io = 0;
  H5Ewalk2(stack, H5E_WALK_DOWNWARD, io_error_seen, &io);
  if (io) atomic_fetch_add(&io_failures, 1);
  return 0;
}

/* HDF5's own printing of its error stack stays off: messages come from here.
 * Its exit handler stays off too: when H5Fclose fails (close(2) of the file says
 * EIO or ENOSPC), HDF5 1.10 keeps the file's id but has torn down part of what it
 * points to, and the handler, or any later close of that id, dies in
 * H5F__close_cb (exit 139 on a full disk). ceasim closes every file it opens, so
 * the handler has nothing else to do. */
void ceas_io_init(void) {
  H5dont_atexit();
  H5Eset_auto2(H5E_DEFAULT, note_failure, NULL);
}

/* dirname() may modify its argument and return static storage: work on a copy. */
static int dir_of(const char *path, char *buf, size_t cap) {
  if (strlen(path) >= cap)
    return ceas_error_set(CEAS_EINPUT, "%s: path too long", path);
  strcpy(buf, path);
  char *d = dirname(buf);
  memmove(buf, d, strlen(d) + 1);
  return CEAS_OK;
}

/* Errors of the system rather than of the path the user gave. */
static int system_error(int e) { return e == ENOSPC || e == EIO || e == EDQUOT || e == ENOMEM; }

/* A fresh temporary name beside `path`: "<dir>/.<base>.tmp.<pid>.<8 hex digits>",
 * malloc'd. The random tail makes names that someone planted in advance (a
 * symlink at ".out.h5.tmp.<pid>" pointing at a victim) miss; the callers create
 * it with O_EXCL, which refuses any existing entry, a symlink included. */
static char *tmp_name(const char *path) {
  char dir[4096];
  if (dir_of(path, dir, sizeof dir)) return NULL;
  char *copy = strdup(path);
  if (!copy) {
    ceas_error_set(CEAS_ENOMEM, "out of memory");
    return NULL;
  }
  const char *base = basename(copy);
  size_t cap = strlen(dir) + strlen(base) + 64;
  char *tmp = malloc(cap);
  static atomic_uint serial;
  if (tmp) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint32_t x = (uint32_t)ts.tv_nsec * 2654435761u ^ (uint32_t)getpid() * 40503u ^
                 (atomic_fetch_add(&serial, 1) + 1) * 2246822519u;
    snprintf(tmp, cap, "%s/.%s.tmp.%ld.%08" PRIx32, dir, base, (long)getpid(), x);
  } else {
    ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  free(copy);
  return tmp;
}

/* Tries a fresh temporary name up to this often when the name is taken. */
#define TMP_TRIES 16

int ceas_io_check_output(const char *path, int force) {
  if (!path || !*path)
    return ceas_error_set(CEAS_EINPUT, "--out: expected a file name");
  size_t len = strlen(path);
  if (path[len - 1] == '/')
    return ceas_error_set(CEAS_EINPUT, "%s: ends in '/', expected a file name", path);
  char dir[4096];
  int rc = dir_of(path, dir, sizeof dir);
  if (rc) return rc;
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: output directory '%s' does not exist", path, dir);
  if (access(dir, W_OK | X_OK) != 0)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: output directory '%s' is not writable", path, dir);
  if (lstat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return ceas_error_set(CEAS_EINPUT, "%s: is a directory, expected a file name",
                            path);
    if (!force)
      return ceas_error_set(CEAS_EINPUT,
                            "%s: file exists (use --force to overwrite it)", path);
  }
  /* access() says yes to root on /sys and on read-only exports: only creating a
   * file proves that one can be written there. The probe is the same exclusive
   * temporary the writer makes later, removed at once: a command finds out
   * before it computes, and holds no file open while it does. */
  for (int i = 0; i < TMP_TRIES; i++) {
    char *tmp = tmp_name(path);
    if (!tmp) return CEAS_ENOMEM;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    free(tmp);
    if (fd >= 0) return CEAS_OK;
    if (e != EEXIST)
      return ceas_error_set(system_error(e) ? CEAS_EIO : CEAS_EINPUT,
                            "%s: cannot create a file in '%s': %s", path, dir, strerror(e));
  }
  return ceas_error_set(CEAS_EIO, "%s: no free temporary name in '%s'", path, dir);
}

int ceas_io_file_create(const char *path, int force, ceas_io_file *f) {
  memset(f, 0, sizeof *f);
  f->file = H5I_INVALID_HID;
  int rc = ceas_io_check_output(path, force);
  if (rc) return rc;
  if (!(f->path = strdup(path))) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  f->force = force;
  f->failures = atomic_load(&io_failures);
  /* H5F_ACC_EXCL: HDF5's sec2 driver opens with O_CREAT | O_EXCL, which refuses an
   * existing name, a symlink included, so a planted link is never followed; a
   * taken name is retried under a new one. */
  for (int i = 0; i < TMP_TRIES && f->file < 0; i++) {
    free(f->tmp);
    if (!(f->tmp = tmp_name(path))) break;
    struct stat st;
    if (lstat(f->tmp, &st) == 0) continue; /* taken */
    f->file = H5Fcreate(f->tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f->file < 0) {
      /* A name that was free a moment ago: the failure is ours (a full disk
       * after the superblock), and so is what HDF5 left there. */
      unlink(f->tmp);
      break;
    }
  }
  int *fd = NULL;
  struct stat st;
  if (f->file >= 0 && H5Fget_vfd_handle(f->file, H5P_DEFAULT, (void **)&fd) >= 0 && fd &&
      fstat(*fd, &st) == 0) {
    f->dev = (uint64_t)st.st_dev;
    f->ino = (uint64_t)st.st_ino;
    return CEAS_OK;
  }
  rc = ceas_error_set(CEAS_EIO, "%s: cannot create the HDF5 file %s", path,
                      f->tmp ? f->tmp : "(temporary)");
  if (f->file >= 0) {
    H5Fclose(f->file);
    unlink(f->tmp);
  }
  free(f->tmp);
  free(f->path);
  f->tmp = f->path = NULL;
  f->file = H5I_INVALID_HID;
  return rc;
}

static void file_release(ceas_io_file *f) {
  free(f->tmp);
  free(f->path);
  f->tmp = f->path = NULL;
  f->file = H5I_INVALID_HID;
}

/* Closes every object still open in a file, then the file: HDF5 keeps a file
 * open while anything in it is, and would flush it again at exit. Returns
 * H5Fclose's status. */
static herr_t close_all(hid_t file) {
  ssize_t n = H5Fget_obj_count(file, H5F_OBJ_LOCAL | H5F_OBJ_DATASET | H5F_OBJ_GROUP |
                                         H5F_OBJ_DATATYPE | H5F_OBJ_ATTR);
  if (n > 0) {
    hid_t *ids = malloc((size_t)n * sizeof *ids);
    n = ids ? H5Fget_obj_ids(file, H5F_OBJ_LOCAL | H5F_OBJ_DATASET | H5F_OBJ_GROUP |
                                       H5F_OBJ_DATATYPE | H5F_OBJ_ATTR,
                             (size_t)n, ids)
            : 0;
    for (ssize_t i = 0; i < n; i++)
      while (H5Iis_valid(ids[i]) > 0 && H5Idec_ref(ids[i]) > 0) {
      }
    free(ids);
  }
  /* A close that fails leaves an id that must not be touched again (see
   * ceas_io_init). */
  return H5Fclose(file);
}

void ceas_io_file_abort(ceas_io_file *f) {
  if (f->file >= 0) close_all(f->file);
  if (f->tmp) unlink(f->tmp);
  file_release(f);
}

/* fsync of the temporary by name, after HDF5 closed it: O_NOFOLLOW and the inode
 * recorded at creation make sure it is still the file we wrote. */
static int sync_file(const ceas_io_file *f) {
  int fd = open(f->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  int e = fd < 0 ? errno : 0;
  if (!e && (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != f->dev ||
             (uint64_t)st.st_ino != f->ino))
    e = EEXIST;
  if (!e && fsync(fd) != 0) e = errno;
  if (fd >= 0 && close(fd) != 0 && !e) e = errno;
  if (e == EEXIST)
    return ceas_error_set(CEAS_EIO, "%s: the temporary %s was replaced while writing",
                          f->path, f->tmp);
  if (e) return ceas_error_set(CEAS_EIO, "%s: cannot write: %s", f->path, strerror(e));
  return CEAS_OK;
}

/* A rename or link is durable only once its directory is synced. */
static int sync_dir(const char *path) {
  char dir[4096];
  if (dir_of(path, dir, sizeof dir)) return CEAS_EINPUT;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int e = fd < 0 ? errno : 0;
  if (!e && fsync(fd) != 0) e = errno;
  if (fd >= 0 && close(fd) != 0 && !e) e = errno;
  /* Some file systems cannot sync a directory at all; that is not a write error. */
  if (e && e != EINVAL && e != EBADF)
    return ceas_error_set(CEAS_EIO, "%s: cannot sync its directory '%s': %s", path, dir,
                          strerror(e));
  return CEAS_OK;
}

/* Moves the finished temporary `tmp` into place as `path` (link without force,
 * rename with), then syncs the directory; on any failure nothing is left under
 * `path` that this call put there, and the temporary is gone. */
static int publish(const char *tmp, const char *path, int force) {
  int rc = CEAS_OK;
  if (force) {
    if (rename(tmp, path) != 0)
      rc = ceas_error_set(CEAS_EIO, "%s: cannot rename from %s: %s", path, tmp,
                          strerror(errno));
  } else if (link(tmp, path) != 0) {
    rc = ceas_error_set(errno == EEXIST ? CEAS_EINPUT : CEAS_EIO,
                        "%s: %s (the results are not written; use --force to "
                        "overwrite)",
                        path, errno == EEXIST ? "file appeared while running"
                                              : strerror(errno));
  }
  unlink(tmp);
  if (!rc && (rc = sync_dir(path))) unlink(path);
  return rc;
}

int ceas_io_file_commit(ceas_io_file *f) {
  int rc = CEAS_OK;
  herr_t st = H5Fflush(f->file, H5F_SCOPE_GLOBAL);
  if (close_all(f->file) < 0 || st < 0 || atomic_load(&io_failures) != f->failures)
    rc = ceas_error_set(CEAS_EIO, "%s: HDF5 could not finish writing the file", f->path);
  f->file = H5I_INVALID_HID;
  if (!rc) rc = ceas_io_seal(f->tmp, f->path); /* the checksum readers verify (seal.c) */
  if (!rc) rc = sync_file(f);
  if (!rc)
    rc = publish(f->tmp, f->path, f->force);
  else
    unlink(f->tmp);
  file_release(f);
  return rc;
}

int ceas_io_write_text(const char *path, int force, const char *text, size_t len) {
  int rc = ceas_io_check_output(path, force);
  if (rc) return rc;
  char *tmp = NULL;
  int fd = -1;
  for (int i = 0; i < TMP_TRIES && fd < 0; i++) {
    free(tmp);
    if (!(tmp = tmp_name(path))) return CEAS_ENOMEM;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    rc = ceas_error_set(CEAS_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    free(tmp);
    return rc;
  }
  int e = 0;
  for (size_t done = 0; done < len && !e;) {
    ssize_t w = write(fd, text + done, len - done);
    if (w < 0 && errno != EINTR) e = errno;
    if (w > 0) done += (size_t)w;
  }
  if (!e && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && !e) e = errno;
  if (e) {
    rc = ceas_error_set(CEAS_EIO, "%s: cannot write: %s", path, strerror(e));
    unlink(tmp);
  } else {
    rc = publish(tmp, path, force);
  }
  free(tmp);
  return rc;
}

/* The file that `loc` belongs to, as the user named it (a temporary
 * "<dir>/.<base>.tmp.<pid>.<hex>" is named by what it will be published as): a
 * failed write names the file, not just the dataset. */
static void file_label(hid_t loc, char *buf, size_t cap) {
  char name[4096];
  ssize_t n = H5Fget_name(loc, name, sizeof name);
  if (n <= 0 || (size_t)n >= sizeof name) {
    snprintf(buf, cap, "HDF5");
    return;
  }
  char *slash = strrchr(name, '/');
  char *base = slash ? slash + 1 : name;
  char *tmp = strstr(base, ".tmp.");
  if (base[0] == '.' && tmp) {
    *tmp = '\0';
    memmove(base, base + 1, strlen(base));
  }
  snprintf(buf, cap, "%s", strncmp(name, "./", 2) ? name : name + 2);
}

int ceas_io_write_error(hid_t loc, const char *what, const char *name) {
  char file[4096];
  file_label(loc, file, sizeof file);
  return ceas_error_set(CEAS_EIO, "%s: cannot write %s '%s'", file, what, name);
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *v) {
  if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a >= 0 ? H5Awrite(a, type, v) : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  if (st < 0) return ceas_io_write_error(loc, "attribute", name);
  return CEAS_OK;
}

/* Variable-length UTF-8: h5py reads it as a Python str, and no reader has to know
 * a width. */
static hid_t vlen_utf8(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

int ceas_io_attr_string(hid_t loc, const char *name, const char *value) {
  hid_t t = vlen_utf8();
  int rc = attr_write(loc, name, t, &value);
  H5Tclose(t);
  return rc;
}

int ceas_io_attr_double(hid_t loc, const char *name, double value) {
  return attr_write(loc, name, H5T_NATIVE_DOUBLE, &value);
}

int ceas_io_attr_int64(hid_t loc, const char *name, int64_t value) {
  return attr_write(loc, name, H5T_NATIVE_INT64, &value);
}

int ceas_io_attr_uint64(hid_t loc, const char *name, uint64_t value) {
  return attr_write(loc, name, H5T_NATIVE_UINT64, &value);
}

/* Object headers carry no modification times, so that the same run gives a
 * byte-identical file. */
static hid_t untimed_plist(hid_t cls) {
  hid_t p = H5Pcreate(cls);
  if (p >= 0) H5Pset_obj_track_times(p, 0);
  return p;
}

static int write_nd(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                    const void *x, int rank, const hsize_t *dims) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = untimed_plist(H5P_DATASET_CREATE);
  hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  herr_t st = d >= 0 ? (n ? H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) : 0)
                     : -1;
  /* A small dataset sits in HDF5's sieve buffer until closed: the close writes it. */
  if (d >= 0 && H5Dclose(d) < 0) st = -1;
  H5Pclose(dcpl);
  H5Sclose(space);
  if (st < 0) return ceas_io_write_error(loc, "dataset", name);
  return CEAS_OK;
}

static int write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                    const void *x, size_t n) {
  hsize_t dims[1] = {n};
  return write_nd(loc, name, file_type, mem_type, x, 1, dims);
}

int ceas_io_write_doubles_2d(hid_t loc, const char *name, const double *x, size_t rows,
                             size_t cols) {
  hsize_t dims[2] = {rows, cols};
  return write_nd(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, x, 2, dims);
}

int ceas_io_write_doubles(hid_t loc, const char *name, const double *x,
                          size_t n) {
  return write_1d(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, x, n);
}

int ceas_io_write_int8(hid_t loc, const char *name, const int8_t *x, size_t n) {
  return write_1d(loc, name, H5T_STD_I8LE, H5T_NATIVE_INT8, x, n);
}

int ceas_io_write_int64s(hid_t loc, const char *name, const int64_t *x, size_t n) {
  return write_1d(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, x, n);
}

int ceas_io_write_uint64s(hid_t loc, const char *name, const uint64_t *x, size_t n) {
  return write_1d(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, x, n);
}

int ceas_io_write_scalar(hid_t loc, const char *name, double value,
                         hid_t *dataset_out) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t dcpl = untimed_plist(H5P_DATASET_CREATE);
  hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                       H5P_DEFAULT);
  herr_t st = d >= 0 ? H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, &value)
                     : -1;
  H5Pclose(dcpl);
  H5Sclose(space);
  if (st < 0) {
    if (d >= 0) H5Dclose(d);
    return ceas_io_write_error(loc, "dataset", name);
  }
  if (dataset_out)
    *dataset_out = d;
  else
    H5Dclose(d);
  return CEAS_OK;
}

int ceas_io_group(hid_t loc, const char *name, hid_t *group) {
  hid_t gcpl = untimed_plist(H5P_GROUP_CREATE);
  hid_t g = H5Lexists(loc, name, H5P_DEFAULT) > 0
                ? H5Gopen2(loc, name, H5P_DEFAULT)
                : H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  if (g < 0) return ceas_io_write_error(loc, "group", name);
  *group = g;
  return CEAS_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* One number: H5Aread writes every element of the attribute, so an array where a
 * scalar belongs would write past v, and a string is no number. */
static int attr_read(hid_t loc, const char *source, const char *name, hid_t mem,
                     void *v) {
  if (H5Aexists(loc, name) <= 0)
    return ceas_error_set(CEAS_EINPUT, "%s: missing attribute '%s'", source, name);
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  herr_t st = -1;
  if (a >= 0) {
    hid_t sp = H5Aget_space(a), ft = H5Aget_type(a);
    H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (sp >= 0 && H5Sget_simple_extent_npoints(sp) == 1 &&
        (cl == H5T_INTEGER || cl == H5T_FLOAT))
      st = H5Aread(a, mem, v);
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    H5Aclose(a);
  }
  if (st < 0)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot read attribute '%s'", source, name);
  return CEAS_OK;
}

int ceas_io_read_attr_double(hid_t loc, const char *source, const char *name,
                             double *value) {
  return attr_read(loc, source, name, H5T_NATIVE_DOUBLE, value);
}

int ceas_io_read_attr_int64(hid_t loc, const char *source, const char *name,
                            int64_t *value) {
  return attr_read(loc, source, name, H5T_NATIVE_INT64, value);
}

int ceas_io_read_attr_uint64(hid_t loc, const char *source, const char *name,
                             uint64_t *value) {
  return attr_read(loc, source, name, H5T_NATIVE_UINT64, value);
}

/* Any string attribute, variable- or fixed-length (earlier builds wrote
 * fixed-length ones: their files stay readable), as a malloc'd NUL-terminated copy. */
static char *attr_text(hid_t a, hid_t ft) {
  char *out = NULL;
  hid_t mt = H5Tcopy(H5T_C_S1);
  /* HDF5 will not convert between character sets: read in the file's. */
  H5Tset_cset(mt, H5Tget_cset(ft));
  if (H5Tis_variable_str(ft) > 0) {
    char *s = NULL;
    H5Tset_size(mt, H5T_VARIABLE);
    if (H5Aread(a, mt, &s) >= 0) out = strdup(s ? s : "");
    if (s) H5free_memory(s);
  } else {
    size_t len = H5Tget_size(ft);
    H5Tset_size(mt, len + 1);
    out = calloc(len + 1, 1);
    if (out && H5Aread(a, mt, out) < 0) {
      free(out);
      out = NULL;
    }
  }
  H5Tclose(mt);
  return out;
}

int ceas_io_read_attr_string(hid_t loc, const char *source, const char *name,
                             char *buf, size_t cap) {
  if (H5Aexists(loc, name) <= 0)
    return ceas_error_set(CEAS_EINPUT, "%s: missing attribute '%s'", source, name);
  int rc = CEAS_OK;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
  if (a < 0 || ft < 0 || H5Tget_class(ft) != H5T_STRING) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: attribute '%s' is not a string", source, name);
  } else {
    char *s = attr_text(a, ft);
    if (!s)
      rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read attribute '%s'", source, name);
    else if (strlen(s) + 1 > cap)
      rc = ceas_error_set(CEAS_EINPUT, "%s: attribute '%s' is too long", source, name);
    else
      memcpy(buf, s, strlen(s) + 1);
    free(s);
  }
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return rc;
}

static int read_1d(hid_t loc, const char *source, const char *name, hid_t mem,
                   void *x, size_t n) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
    return ceas_error_set(CEAS_EINPUT, "%s: missing dataset '%s'", source, name);
  int rc = CEAS_OK;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
  hsize_t dims[1] = {0};
  if (d < 0 || sp < 0 || H5Sget_simple_extent_ndims(sp) != 1) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' is not one-dimensional", source,
                        name);
  } else {
    H5Sget_simple_extent_dims(sp, dims, NULL);
    if (dims[0] != n)
      rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' has %llu entries, expected %zu",
                          source, name, (unsigned long long)dims[0], n);
    else if (n && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0)
      rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read dataset '%s' (corrupt?)", source,
                          name);
  }
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  return rc;
}

int ceas_io_read_doubles(hid_t loc, const char *source, const char *name,
                         double *x, size_t n) {
  return read_1d(loc, source, name, H5T_NATIVE_DOUBLE, x, n);
}

int ceas_io_read_int8(hid_t loc, const char *source, const char *name, int8_t *x,
                      size_t n) {
  return read_1d(loc, source, name, H5T_NATIVE_INT8, x, n);
}

int ceas_io_read_uint64s(hid_t loc, const char *source, const char *name, uint64_t *x,
                         size_t n) {
  return read_1d(loc, source, name, H5T_NATIVE_UINT64, x, n);
}

int ceas_io_write_strings(hid_t loc, const char *name, const char *const *v, size_t n) {
  hid_t t = vlen_utf8();
  hsize_t dims[1] = {n};
  int rc = write_nd(loc, name, t, t, v, 1, dims);
  H5Tclose(t);
  return rc;
}

int ceas_io_copy_attr(hid_t from, hid_t to, const char *name) {
  if (H5Aexists(from, name) <= 0) return CEAS_OK;
  hid_t a = H5Aopen(from, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
  H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  int rc = -1;
  if (cl == H5T_STRING) {
    char *v = attr_text(a, ft);
    if (v) rc = ceas_io_attr_string(to, name, v);
    free(v);
  } else if (cl == H5T_INTEGER && H5Tget_sign(ft) == H5T_SGN_NONE) {
    uint64_t v;
    if (H5Aread(a, H5T_NATIVE_UINT64, &v) >= 0) rc = ceas_io_attr_uint64(to, name, v);
  } else if (cl == H5T_INTEGER) {
    int64_t v;
    if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) rc = ceas_io_attr_int64(to, name, v);
  } else if (cl == H5T_FLOAT) {
    double v;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) rc = ceas_io_attr_double(to, name, v);
  }
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return rc < 0 ? ceas_error_set(CEAS_EIO, "HDF5: cannot copy attribute '%s'", name) : rc;
}

/* ---- self-describing files ---------------------------------------------- */

/* The value of attribute `name` of object `o` as text (numbers as %.10g or in
 * full for integers), malloc'd; NULL if it has none. */
static char *attr_as_text(hid_t o, const char *name) {
  if (H5Aexists(o, name) <= 0) return NULL;
  hid_t a = H5Aopen(o, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
  hid_t sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
  char *out = NULL;
  char num[64];
  H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  if (sp < 0 || H5Sget_simple_extent_npoints(sp) != 1) {
    /* arrays are not spelled into descriptions */
  } else if (cl == H5T_STRING) {
    out = attr_text(a, ft);
  } else if (cl == H5T_INTEGER && H5Tget_sign(ft) == H5T_SGN_NONE) {
    uint64_t v;
    if (H5Aread(a, H5T_NATIVE_UINT64, &v) >= 0) {
      snprintf(num, sizeof num, "%" PRIu64, v);
      out = strdup(num);
    }
  } else if (cl == H5T_INTEGER) {
    int64_t v;
    if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) {
      snprintf(num, sizeof num, "%" PRId64, v);
      out = strdup(num);
    }
  } else if (cl == H5T_FLOAT) {
    double v;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) {
      snprintf(num, sizeof num, "%.10g", v);
      out = strdup(num);
    }
  }
  if (sp >= 0) H5Sclose(sp);
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return out;
}

/* Attribute `name` looked up on the dataset at `path`, then on each group above
 * it, the root last. */
static char *lookup_attr(hid_t file, const char *path, const char *name) {
  char *p = strdup(path);
  char *out = NULL;
  if (!p) return NULL;
  for (;;) {
    hid_t o = H5Oopen(file, *p ? p : ".", H5P_DEFAULT);
    if (o >= 0) {
      out = attr_as_text(o, name);
      H5Oclose(o);
    }
    if (out || !*p) break;
    char *slash = strrchr(p, '/');
    if (slash)
      *slash = '\0';
    else
      *p = '\0';
  }
  free(p);
  return out;
}

typedef struct {
  char *buf;
  size_t len, cap;
} text_buf;

static int text_add(text_buf *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = 2 * (t->len + n + 1);
    char *b = realloc(t->buf, cap);
    if (!b) return ceas_error_set(CEAS_ENOMEM, "out of memory");
    t->buf = b;
    t->cap = cap;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
  return CEAS_OK;
}

#define IDENT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* `tmpl` with each "{attr}" replaced (see ceas_io_describe); "{base}" is `base`.
 * Braces around anything but an identifier stay as written ("sum_{i<j}"). */
static int expand(hid_t file, const char *path, const char *tmpl, const char *base,
                  char **out) {
  text_buf t = {0};
  int rc = text_add(&t, "", 0);
  for (const char *s = tmpl; !rc && *s;) {
    const char *open = strchr(s, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    if (!close) {
      rc = text_add(&t, s, strlen(s));
      break;
    }
    char name[128];
    size_t n = (size_t)(close - open - 1);
    if (n == 0 || n >= sizeof name || strspn(open + 1, IDENT_CHARS) != n) {
      rc = text_add(&t, s, (size_t)(close + 1 - s));
      s = close + 1;
      continue;
    }
    rc = text_add(&t, s, (size_t)(open - s));
    memcpy(name, open + 1, n);
    name[n] = '\0';
    if (!rc && !strcmp(name, "base") && base) {
      rc = text_add(&t, base, strlen(base));
    } else if (!rc) {
      char *v = lookup_attr(file, path, name);
      rc = v ? text_add(&t, v, strlen(v))
             : ceas_error_set(CEAS_EIO, "%s: no attribute '%s' for its description", path,
                              name);
      free(v);
    }
    s = close + 1;
  }
  if (rc) {
    free(t.buf);
    return rc;
  }
  *out = t.buf;
  return CEAS_OK;
}

static const ceas_io_doc *doc_row(const ceas_io_doc *rows, const char *path) {
  for (const ceas_io_doc *r = rows; r->path; r++)
    if (fnmatch(r->path, path, 0) == 0) return r;
  return NULL;
}

static int describe_one(hid_t file, const ceas_io_doc *rows, const char *path) {
  const ceas_io_doc *r = doc_row(rows, path);
  if (!r)
    return ceas_error_set(CEAS_EIO,
                          "HDF5: dataset '%s' has no row in its file's documentation table",
                          path);
  const char *units = r->units;
  char base[256] = "";
  if (!units) {
    /* A companion "<base><suffix>": the units of <base>. */
    const char *suffix = strrchr(r->path, '*');
    size_t pl = strlen(path), sl = suffix ? strlen(suffix + 1) : 0;
    const ceas_io_doc *b = NULL;
    if (suffix && sl < pl && pl - sl < sizeof base) {
      memcpy(base, path, pl - sl);
      base[pl - sl] = '\0';
      b = doc_row(rows, base);
    }
    if (!b || !b->units)
      return ceas_error_set(CEAS_EIO, "HDF5: dataset '%s': no base dataset for its units",
                            path);
    units = b->units;
    const char *leaf = strrchr(base, '/');
    memmove(base, leaf ? leaf + 1 : base, strlen(leaf ? leaf + 1 : base) + 1);
  }
  char *u = NULL, *d = NULL;
  hid_t o = H5I_INVALID_HID;
  int rc = expand(file, path, units, base, &u);
  if (!rc) rc = expand(file, path, r->description, base, &d);
  if (!rc && (o = H5Oopen(file, path, H5P_DEFAULT)) < 0)
    rc = ceas_error_set(CEAS_EIO, "HDF5: cannot open dataset '%s'", path);
  if (!rc) rc = ceas_io_attr_string(o, "units", u);
  if (!rc) rc = ceas_io_attr_string(o, "description", d);
  if (o >= 0) H5Oclose(o);
  free(u);
  free(d);
  return rc;
}

typedef struct {
  char **paths;
  size_t n, cap;
  int failed;
} path_list;

static herr_t collect_dataset(hid_t loc, const char *name, const H5L_info_t *info,
                              void *data) {
  path_list *l = data;
  if (info->type != H5L_TYPE_HARD) return 0;
  hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
  int dataset = o >= 0 && H5Iget_type(o) == H5I_DATASET;
  if (o >= 0) H5Oclose(o);
  if (!dataset) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    char **p = realloc(l->paths, cap * sizeof *p);
    if (!p) return l->failed = 1, -1;
    l->paths = p;
    l->cap = cap;
  }
  if (!(l->paths[l->n] = strdup(name))) return l->failed = 1, -1;
  l->n++;
  return 0;
}

int ceas_io_describe(hid_t file, const ceas_io_doc *rows) {
  path_list l = {0};
  int rc = CEAS_OK;
  /* Attributes are added after the walk: HDF5 does not promise a visit that
   * survives changes to the objects visited. */
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &l) < 0)
    rc = l.failed ? ceas_error_set(CEAS_ENOMEM, "out of memory")
                  : ceas_error_set(CEAS_EIO, "HDF5: cannot list the datasets of a file");
  for (size_t i = 0; i < l.n && !rc; i++) rc = describe_one(file, rows, l.paths[i]);
  for (size_t i = 0; i < l.n; i++) free(l.paths[i]);
  free(l.paths);
  return rc;
}

int ceas_io_dataset_check(hid_t d, const char *source, const char *name, size_t elem_size,
                          uint64_t *entries) {
  hid_t sp = H5Dget_space(d);
  int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  hsize_t dims[H5S_MAX_RANK];
  if (nd < 0 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
    if (sp >= 0) H5Sclose(sp);
    return ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' has no readable shape (corrupt?)",
                          source, name);
  }
  H5Sclose(sp);
  size_t f[H5S_MAX_RANK + 1], bytes;
  uint64_t count = 1;
  for (int i = 0; i < nd; i++) {
    if (dims[i] > SIZE_MAX)
      return ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' claims %llu entries in a "
                            "dimension; expected what fits in memory (corrupt?)",
                            source, name, (unsigned long long)dims[i]);
    f[i] = (size_t)dims[i];
    count *= dims[i]; /* cannot wrap unless the size check below fails */
  }
  f[nd] = elem_size;
  char what[600];
  snprintf(what, sizeof what, "%s: dataset '%s'", source, name);
  if (ceas_size_check(what, &bytes, nd + 1, f)) return CEAS_EINPUT;
  hid_t dcpl = H5Dget_create_plist(d);
  int nfilters = dcpl >= 0 ? H5Pget_nfilters(dcpl) : -1;
  int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
  hsize_t chunk[H5S_MAX_RANK];
  int cnd = chunked ? H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk) : 0;
  if (dcpl >= 0) H5Pclose(dcpl);
  hsize_t stored = H5Dget_storage_size(d);
  const char *lie = NULL;
  if (nfilters < 0)
    lie = "has an unreadable creation property list";
  else if (nfilters == 0 && stored < (hsize_t)bytes)
    lie = "is truncated or was never written";
  else if (nfilters > 0 && bytes > 0 && (long double)bytes > 2048.0L * (long double)stored)
    lie = "is compressed beyond what any filter expands";
  if (!lie && chunked && bytes > 0 && cnd == nd) {
    hsize_t want = 1, have = 0;
    for (int i = 0; i < nd; i++) want *= (dims[i] + chunk[i] - 1) / chunk[i];
    hid_t all = H5Dget_space(d);
    if (all < 0 || H5Dget_num_chunks(d, all, &have) < 0 || have != want)
      lie = "has chunks that were never written";
    if (all >= 0) H5Sclose(all);
  }
  if (lie)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: dataset '%s' claims %llu entries (%zu bytes) but the file "
                          "stores only %llu bytes of them: it %s (corrupt?)",
                          source, name, (unsigned long long)count, bytes,
                          (unsigned long long)stored, lie);
  *entries = count;
  return CEAS_OK;
}

/* ---- self-contained inputs ---------------------------------------------- */

typedef struct {
  const char *why;
  char name[256];
} foreign_link;

static herr_t find_foreign(hid_t loc, const char *name, const H5L_info_t *info,
                           void *data) {
  foreign_link *r = data;
  if (info->type == H5L_TYPE_EXTERNAL)
    r->why = "is an external link (to another file)";
  else if (info->type != H5L_TYPE_HARD && info->type != H5L_TYPE_SOFT)
    r->why = "is a user-defined link";
  else if (info->type == H5L_TYPE_HARD) {
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o >= 0 && H5Iget_type(o) == H5I_DATASET) {
      hid_t dcpl = H5Dget_create_plist(o);
      if (dcpl >= 0 && H5Pget_external_count(dcpl) > 0)
        r->why = "stores its data in external files";
      else if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_VIRTUAL)
        r->why = "is a virtual dataset (its data lives in other files)";
      if (dcpl >= 0) H5Pclose(dcpl);
    }
    if (o >= 0) H5Oclose(o);
  }
  if (!r->why) return 0;
  snprintf(r->name, sizeof r->name, "%s", name);
  return 1; /* stop the walk */
}

int ceas_io_self_contained(hid_t file, const char *source) {
  foreign_link r = {0};
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, find_foreign, &r) < 0 && !r.why)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot list its objects (corrupt?)", source);
  if (r.why)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: '%s' %s; expected a self-contained HDF5 file (refused: "
                          "ceasim reads no file an input only points to)",
                          source, r.name, r.why);
  return CEAS_OK;
}
