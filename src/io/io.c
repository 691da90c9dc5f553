/* Output files: the error stack HDF5 reports into, the check before a command
 * runs, and the atomic commit (write a temporary, fsync it, rename it over the
 * target, fsync the directory) that every written file goes through. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
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

int ceas_io_write_hdf5(const char *path, int force, int (*write)(const void *ctx, hid_t file),
                       const void *ctx) {
  ceas_io_file f;
  int rc = ceas_io_file_create(path, force, &f);
  if (rc) return rc;
  if ((rc = write(ctx, f.file))) {
    ceas_io_file_abort(&f);
    return rc;
  }
  return ceas_io_file_commit(&f);
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

int ceas_io_is_hdf5(FILE *fp) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8] = {0};
  size_t got = fread(head, 1, sizeof head, fp);
  rewind(fp);
  return got == sizeof head && memcmp(head, sig, sizeof sig) == 0;
}
