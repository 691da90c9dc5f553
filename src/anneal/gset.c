/* G-set MaxCut files: "n m", then m lines "i j w" (1-based). The format and the
 * mapping w -> J = -w are stated in ceas_anneal.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "anneal_private.h"

#define GSET_MAX_N 2147483646LL

typedef struct {
  int32_t i, j; /* 0-based, i < j */
  long line;
} gedge;

static int cmp_gedge(const void *a, const void *b) {
  const gedge *x = a, *y = b;
  if (x->i != y->i) return (x->i > y->i) - (x->i < y->i);
  if (x->j != y->j) return (x->j > y->j) - (x->j < y->j);
  return (x->line > y->line) - (x->line < y->line);
}

static int parse_int(const char *tok, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(tok, &end, 10);
  if (end == tok || *end || errno == ERANGE || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* Splits buf into at most 4 whitespace-separated tokens; returns the count (4 means
 * "more than three"). */
static int split(char *buf, char *tok[4]) {
  int nt = 0;
  char *save = NULL;
  for (char *t = strtok_r(buf, " \t\r\n\v\f", &save); t && nt < 4;
       t = strtok_r(NULL, " \t\r\n\v\f", &save))
    tok[nt++] = t;
  return nt;
}

int ceas_anneal_problem_read_gset(const char *path, ceas_anneal_problem **out) {
  *out = NULL;
  FILE *fp = fopen(path, "r");
  if (!fp)
    return ceas_error_set(CEAS_EINPUT, "--gset %s: cannot open: %s", path, strerror(errno));
  int rc = CEAS_OK;
  char *buf = NULL;
  size_t cap = 0;
  long line = 0, header_line = 0;
  long long n = -1, m = -1, got = 0;
  gedge *e = NULL;
  double *w = NULL;
  int32_t *ei = NULL, *ej = NULL;
  ssize_t len;
  while ((len = getline(&buf, &cap, fp)) >= 0) {
    line++;
    if (strlen(buf) != (size_t)len) { /* strtok would drop what follows a NUL */
      rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: expected text, got a NUL byte", path,
                          line);
      goto done;
    }
    char *tok[4];
    int nt = split(buf, tok);
    if (nt == 0) continue;
    if (n < 0) {
      long long nn, mm;
      if (nt != 2) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: expected the header 'n m' (number of vertices and of "
                            "edges), got %d field%s",
                            path, line, nt == 4 ? 4 : nt, nt == 1 ? "" : "s");
        goto done;
      }
      if (parse_int(tok[0], 1, GSET_MAX_N, &nn)) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: expected the number of vertices n (an integer >= 1), "
                            "got '%s'",
                            path, line, tok[0]);
        goto done;
      }
      if (parse_int(tok[1], 0, nn * (nn - 1) / 2, &mm)) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: expected the number of edges m (an integer between 0 "
                            "and n(n-1)/2 = %lld), got '%s'",
                            path, line, nn * (nn - 1) / 2, tok[1]);
        goto done;
      }
      /* An edge line is at least "i j w\n", 6 bytes: a header that claims more
       * edges than the file can hold is refused before m is allocated (a short
       * claim is left to the line count below, which says where the file ends). */
      struct stat sb;
      if (mm > (1LL << 20) && !fstat(fileno(fp), &sb) && S_ISREG(sb.st_mode) &&
          mm > (long long)sb.st_size / 6) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: the header says m = %lld edges, but the file's %lld "
                            "bytes hold at most %lld edge lines 'i j w'",
                            path, line, mm, (long long)sb.st_size,
                            (long long)sb.st_size / 6);
        goto done;
      }
      n = nn;
      m = mm;
      header_line = line;
      e = ceas_malloc((size_t)(m ? m : 1) * sizeof *e);
      w = ceas_malloc((size_t)(m ? m : 1) * sizeof *w);
      if (!e || !w) {
        rc = CEAS_ENOMEM;
        goto done;
      }
      continue;
    }
    if (got == m) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: more than the %lld edges declared at line %ld (expected "
                          "nothing after the last edge)",
                          path, line, m, header_line);
      goto done;
    }
    if (nt != 3) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: expected an edge 'i j w' (two vertices and a weight), "
                          "got %s%d field%s",
                          path, line, nt == 4 ? "more than " : "", nt == 4 ? 3 : nt,
                          nt == 1 ? "" : "s");
      goto done;
    }
    long long a = 0, b = 0; /* set by the loop, which leaves on any error */
    for (int t = 0; t < 2; t++) {
      long long v;
      char *endp;
      errno = 0;
      long long raw = strtoll(tok[t], &endp, 10);
      if (endp == tok[t] || *endp || errno == ERANGE) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: expected a vertex number (an integer 1..%lld), got '%s'",
                            path, line, n, tok[t]);
        goto done;
      }
      if (parse_int(tok[t], 1, n, &v)) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: vertex %lld out of range (vertices are numbered 1..%lld)",
                            path, line, raw, n);
        goto done;
      }
      if (t == 0)
        a = v;
      else
        b = v;
    }
    double wv;
    const char *why = ceas_number_parse(tok[2], &wv);
    if (why) {
      rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: expected a weight (%s), got '%s'", path,
                          line, why, tok[2]);
      goto done;
    }
    if (a == b) {
      rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: self-loop on vertex %lld (expected i != j)",
                          path, line, a);
      goto done;
    }
    e[got].i = (int32_t)((a < b ? a : b) - 1);
    e[got].j = (int32_t)((a < b ? b : a) - 1);
    e[got].line = line;
    w[got] = wv;
    got++;
  }
  if (ferror(fp)) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  if (n < 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: empty file (expected a first line 'n m')", path);
    goto done;
  }
  if (got < m) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s:%ld: the file ends after %lld of the %lld edges declared at "
                        "line %ld",
                        path, line, got, m, header_line);
    goto done;
  }
  {
    /* Duplicates: sort a copy that remembers where each weight came from. */
    gedge *s = ceas_malloc((size_t)(m ? m : 1) * sizeof *s);
    if (!s) {
      rc = CEAS_ENOMEM;
      goto done;
    }
    memcpy(s, e, (size_t)m * sizeof *s);
    qsort(s, (size_t)m, sizeof *s, cmp_gedge);
    for (long long k = 1; k < m; k++)
      if (s[k].i == s[k - 1].i && s[k].j == s[k - 1].j) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: edge (%d, %d) already given at line %ld (expected "
                            "each pair once)",
                            path, s[k].line, s[k].i + 1, s[k].j + 1, s[k - 1].line);
        break;
      }
    free(s);
    if (rc) goto done;
  }
  ei = ceas_malloc((size_t)(m ? m : 1) * sizeof *ei);
  ej = ceas_malloc((size_t)(m ? m : 1) * sizeof *ej);
  if (!ei || !ej) {
    rc = CEAS_ENOMEM;
    goto done;
  }
  double wsum = 0;
  for (long long k = 0; k < m; k++) {
    ei[k] = e[k].i;
    ej[k] = e[k].j;
    wsum += w[k];
    w[k] = -w[k]; /* J_ij = -w_ij: a cut edge (s_i != s_j) lowers E by w */
  }
  rc = ceas_anneal_build(n, m, ei, ej, w, NULL, CEAS_ANNEAL_SRC_GSET, path, out);
  if (!rc) {
    (*out)->maxcut = 1;
    (*out)->w_sum = wsum;
  }
done:
  fclose(fp);
  free(buf);
  free(e);
  free(w);
  free(ei);
  free(ej);
  return rc;
}
