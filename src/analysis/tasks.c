/*
 * Reading a sweep directory: DIR/tasks/ *.h5, each in the `ceasim run` layout.
 *
 * A file that cannot be used is named on the warning stream and skipped, never
 * silently dropped: a sweep with a crashed task must not quietly analyse to a
 * different answer.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ceas_analysis.h"
#include "ceas_core.h"
#include "ceas_io.h"
#include "ceas_measure.h"
#include "ceas_task.h"

static void warn_skip(FILE *warn, const char *path, const char *why) {
  if (warn) fprintf(warn, "ceasim: warning: %s: %s; skipped\n", path, why);
}

/* Reads the attributes and checks the datasets of one file. 0: usable. */
static int inspect(const char *path, FILE *warn, ceas_analysis_task_info *t) {
  memset(t, 0, sizeof *t);
  /* Verified before HDF5 parses it: damaged metadata can crash HDF5 (seal.c). */
  hid_t f;
  if (ceas_io_open_read(path, &f)) {
    if (warn) fprintf(warn, "ceasim: warning: %s; skipped\n", ceas_error_message());
    ceas_error_clear();
    return -1;
  }
  char why[200] = "";
  ceas_task_file_attrs a;
  ceas_task_file_read_attrs(f, path, 0, &a);
  const int64_t L = a.L, dim = a.dim, n_spins = a.n_spins;
#define HAVE(x) (a.have & CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_##x))
#define NAME(x) ceas_task_file_attr_name(CEAS_TASK_ATTR_##x)
  t->replica = -1;
  memcpy(t->model, a.model, sizeof t->model);
  memcpy(t->algo, a.algo, sizeof t->algo);
  t->beta = a.beta;
  t->h = a.h;
  if (!HAVE(MODEL))
    snprintf(why, sizeof why, "no '%s' attribute", NAME(MODEL));
  else if (!HAVE(ALGO))
    snprintf(why, sizeof why, "no '%s' attribute", NAME(ALGO));
  else if (!HAVE(BETA) || !isfinite(t->beta) || t->beta < 0)
    snprintf(why, sizeof why, "no valid '%s' attribute", NAME(BETA));
  else if (!HAVE(H) || !isfinite(t->h))
    snprintf(why, sizeof why, "no valid '%s' attribute", NAME(H));
  else if (!HAVE(N_SPINS) || n_spins < 1)
    snprintf(why, sizeof why, "no valid '%s' attribute", NAME(N_SPINS));
  else if (!HAVE(L) || !HAVE(DIM))
    snprintf(why, sizeof why, "no '%s' or '%s' attribute", NAME(L), NAME(DIM));
  if (!why[0]) {
    if (HAVE(REPLICA)) t->replica = a.replica;
    t->measure_every = HAVE(MEASURE_EVERY) && a.measure_every >= 1 ? a.measure_every : 1;
    /* A graph has no linear size: its size variable is the spin count n. */
    int graph = !strcmp(t->model, "graph");
    t->L = graph ? (long)n_spins : (long)L;
    t->dim = graph ? 0 : (long)dim;
    t->n_spins = (double)n_spins;
    long long ce, cm, cf;
    long long ne = ceas_task_file_series_shape(f, CEAS_TASK_SERIES_ENERGY, &ce);
    long long nm = ceas_task_file_series_shape(f, CEAS_TASK_SERIES_MAGNETIZATION, &cm);
    long long nf = ceas_task_file_series_shape(f, CEAS_TASK_SERIES_STRUCTURE_FACTOR, &cf);
    const char *pe = ceas_task_file_series_path(CEAS_TASK_SERIES_ENERGY);
    const char *pm = ceas_task_file_series_path(CEAS_TASK_SERIES_MAGNETIZATION);
    const char *pf = ceas_task_file_series_path(CEAS_TASK_SERIES_STRUCTURE_FACTOR);
    int64_t packed = HAVE(PACKED_REPLICAS) ? a.packed_replicas : 1;
#undef HAVE
#undef NAME
    if (packed < 1 || (ne >= 0 && ce != packed) || (nm >= 0 && cm != packed) ||
        (nf >= 0 && cf != packed))
      snprintf(why, sizeof why,
               "series have %lld/%lld/%lld columns, packed_replicas = %lld", ce, cm, cf,
               (long long)packed);
    else if (ne < 0)
      snprintf(why, sizeof why, "no readable dataset /%s", pe);
    else if (nm < 0)
      snprintf(why, sizeof why, "no readable dataset /%s", pm);
    else if (ne != nm)
      snprintf(why, sizeof why, "/%s has %lld entries, magnetization %lld", pe, ne, nm);
    else if (ne < 2 * CEAS_MEASURE_MIN_BINS)
      snprintf(why, sizeof why, "%lld measurements, need at least %d", ne,
               2 * CEAS_MEASURE_MIN_BINS);
    else if (nf >= 0 && nf != ne)
      snprintf(why, sizeof why, "/%s has %lld entries, energy %lld", pf, nf, ne);
    t->n = ne > 0 ? (size_t)ne : 0;
    t->packed = (size_t)packed;
    t->has_f = nf >= 0;
    /* Lattices must carry F: without it there is no xi and no xi/L crossing. */
    if (!why[0] && strcmp(t->model, "graph") != 0 && !t->has_f)
      snprintf(why, sizeof why, "no readable dataset /%s",
               ceas_task_file_series_path(CEAS_TASK_SERIES_STRUCTURE_FACTOR));
    if (!why[0] && strcmp(t->model, "graph") != 0) {
      double expect = pow((double)L, (double)dim);
      if (L < 2 || dim < 1 || dim > 3 || expect != (double)n_spins)
        snprintf(why, sizeof why, "L = %lld, dim = %lld do not match n_spins = %lld",
                 (long long)L, (long long)dim, (long long)n_spins);
    }
  }
  H5Fclose(f);
  if (why[0]) {
    warn_skip(warn, path, why);
    return -1;
  }
  t->path = strdup(path);
  if (!t->path) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void ceas_analysis_tasks_free(ceas_analysis_task_info *tasks, size_t n) {
  if (!tasks) return;
  for (size_t i = 0; i < n; i++) free(tasks[i].path);
  free(tasks);
}

int ceas_analysis_scan_dir(const char *dir, FILE *warn,
                           ceas_analysis_task_info **tasks, size_t *n,
                           size_t *skipped) {
  *tasks = NULL;
  *n = 0;
  *skipped = 0;
  struct stat st;
  if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return ceas_error_set(CEAS_EINPUT, "%s: no such directory (expected a sweep directory)",
                          dir ? dir : "(null)");
  size_t len = strlen(dir) + 8;
  char *tdir = malloc(len);
  if (!tdir) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  snprintf(tdir, len, "%s/tasks", dir);
  DIR *d = opendir(tdir);
  if (!d) {
    int rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read the task directory (%s)", tdir,
                            strerror(errno));
    free(tdir);
    return rc;
  }
  char **names = NULL;
  size_t count = 0, cap = 0;
  struct dirent *e;
  int rc = CEAS_OK;
  while ((e = readdir(d))) {
    size_t nl = strlen(e->d_name);
    /* Hidden files are temporaries of tasks still being written. */
    if (e->d_name[0] == '.' || nl < 4 || strcmp(e->d_name + nl - 3, ".h5") != 0) continue;
    if (count == cap) {
      size_t nc = cap ? 2 * cap : 64;
      char **nn = realloc(names, nc * sizeof *nn);
      if (!nn) {
        rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
        break;
      }
      names = nn;
      cap = nc;
    }
    size_t pl = strlen(tdir) + nl + 2;
    names[count] = malloc(pl);
    if (!names[count]) {
      rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
      break;
    }
    snprintf(names[count], pl, "%s/%s", tdir, e->d_name);
    count++;
  }
  closedir(d);
  if (!rc && count == 0)
    rc = ceas_error_set(CEAS_EINPUT, "%s: no task files (*.h5)", tdir);
  ceas_analysis_task_info *out = NULL;
  size_t used = 0;
  if (!rc) {
    qsort(names, count, sizeof *names, cmp_str);
    out = ceas_calloc(count, sizeof *out);
    if (!out) rc = CEAS_ENOMEM;
  }
  for (size_t i = 0; !rc && i < count; i++) {
    struct stat fs;
    if (stat(names[i], &fs) != 0 || !S_ISREG(fs.st_mode)) {
      warn_skip(warn, names[i], "not a regular file");
      ++*skipped;
      continue;
    }
    int r = inspect(names[i], warn, &out[used]);
    if (r > 0) rc = r;
    else if (r == 0) used++;
    else ++*skipped;
  }
  for (size_t i = 0; i < count; i++) free(names[i]);
  free(names);
  if (!rc && used == 0)
    rc = ceas_error_set(CEAS_EINPUT, "%s: none of the %zu task files is usable", tdir, count);
  free(tdir);
  if (rc) {
    ceas_analysis_tasks_free(out, used);
    return rc;
  }
  *tasks = out;
  *n = used;
  return CEAS_OK;
}

int ceas_analysis_task_load(const ceas_analysis_task_info *t, double **e,
                            double **m, double **f) {
  *e = *m = NULL;
  if (f) *f = NULL;
  hid_t file;
  int rc = ceas_io_open_read(t->path, &file);
  if (rc) return rc;
  const size_t len = t->n * (t->packed > 1 ? t->packed : 1);
  rc = ceas_task_file_read_series(file, CEAS_TASK_SERIES_ENERGY, len, e);
  if (!rc) rc = ceas_task_file_read_series(file, CEAS_TASK_SERIES_MAGNETIZATION, len, m);
  if (!rc && f && t->has_f)
    rc = ceas_task_file_read_series(file, CEAS_TASK_SERIES_STRUCTURE_FACTOR, len, f);
  H5Fclose(file);
  if (rc) {
    const char *msg = ceas_error_message();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", msg);
    free(*e);
    free(*m);
    if (f) free(*f), *f = NULL;
    *e = *m = NULL;
    return ceas_error_set(rc, "%s: %s", t->path, buf);
  }
  for (size_t i = 0; i < len; i++)
    if (!isfinite((*e)[i]) || !isfinite((*m)[i]) || (f && *f && !isfinite((*f)[i]))) {
      free(*e);
      free(*m);
      if (f) free(*f), *f = NULL;
      *e = *m = NULL;
      return ceas_error_set(CEAS_EINPUT, "%s: measurement %zu is not finite", t->path, i);
    }
  return CEAS_OK;
}
