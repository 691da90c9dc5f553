/*
 * fault_inject — an LD_PRELOAD shim that makes the k-th write-like call on a
 * regular file fail, as a full disk or a failing device would.
 *
 *   CEASIM_FAULT_AT=k       the k-th call (1-based) fails; 0 or unset: none fails
 *   CEASIM_FAULT_ERRNO=E    ENOSPC (default) or EIO
 *   CEASIM_FAULT_PROGRAM=P  count only in processes named P (program_invocation_short_name):
 *                           not in MPI's helpers that a singleton start spawns
 *   CEASIM_FAULT_VERBOSE=1  say on stderr which call failed (debugging)
 *   CEASIM_FAULT_COUNT=F    at exit, append "<pid> <calls>\n" to F: how many calls
 *                           a fault-free run makes (the range of k to try)
 *
 * Counted calls: write, pwrite, pwrite64, writev, ftruncate, fsync, fdatasync and
 * close, on descriptors of regular files only, so that the error message on
 * stderr and pipes are never the victim. A failed close() still closes the
 * descriptor (as Linux does after EIO). Calls from inside glibc (stdio's own
 * writes) do not pass through the dynamic linker and are not seen: ceasim's
 * writers write through write(2) for that reason.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_long calls;
static long fault_at = -1;
static int fault_errno = ENOSPC;

static int counting = 1;

static void setup(void) {
  if (fault_at >= 0) return;
  const char *prog = getenv("CEASIM_FAULT_PROGRAM");
  counting = !prog || !strcmp(prog, program_invocation_short_name);
  const char *k = getenv("CEASIM_FAULT_AT");
  const char *e = getenv("CEASIM_FAULT_ERRNO");
  fault_errno = e && !strcmp(e, "EIO") ? EIO : ENOSPC;
  fault_at = k ? atol(k) : 0;
}

/* 1 if this call on fd is the one to fail (errno set). */
static int hit(int fd, const char *call) {
  struct stat st;
  int saved = errno;
  if (fd <= 2 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    errno = saved;
    return 0;
  }
  errno = saved;
  setup();
  if (!counting) return 0;
  long n = atomic_fetch_add(&calls, 1) + 1;
  if (fault_at > 0 && n == fault_at) {
    if (getenv("CEASIM_FAULT_VERBOSE")) {
      char line[96];
      int len = snprintf(line, sizeof line, "fault_inject: call %ld (%s) on fd %d fails\n", n, call, fd);
      long w = syscall(SYS_write, 2, line, (size_t)len);
      (void)w;
    }
    errno = fault_errno;
    return 1;
  }
  return 0;
}

#define REAL(ret, name, ...)                                  \
  static ret (*real)(__VA_ARGS__);                            \
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, name)

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(ssize_t, "write", int, const void *, size_t);
  if (hit(fd, "write")) return -1;
  return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
  if (hit(fd, "pwrite")) return -1;
  return real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
  REAL(ssize_t, "pwrite64", int, const void *, size_t, off_t);
  if (hit(fd, "pwrite64")) return -1;
  return real(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *v, int n) {
  REAL(ssize_t, "writev", int, const struct iovec *, int);
  if (hit(fd, "writev")) return -1;
  return real(fd, v, n);
}

int ftruncate(int fd, off_t len) {
  REAL(int, "ftruncate", int, off_t);
  if (hit(fd, "ftruncate")) return -1;
  return real(fd, len);
}

int ftruncate64(int fd, off_t len) {
  REAL(int, "ftruncate64", int, off_t);
  if (hit(fd, "ftruncate64")) return -1;
  return real(fd, len);
}

int fsync(int fd) {
  REAL(int, "fsync", int);
  if (hit(fd, "fsync")) return -1;
  return real(fd);
}

int fdatasync(int fd) {
  REAL(int, "fdatasync", int);
  if (hit(fd, "fdatasync")) return -1;
  return real(fd);
}

int close(int fd) {
  REAL(int, "close", int);
  if (hit(fd, "close")) {
    int e = errno;
    real(fd);
    errno = e;
    return -1;
  }
  return real(fd);
}

__attribute__((destructor)) static void report(void) {
  const char *f = getenv("CEASIM_FAULT_COUNT");
  setup();
  if (!f || !counting) return;
  char line[64];
  int len = snprintf(line, sizeof line, "%ld %ld\n", (long)getpid(), (long)calls);
  int fd = open(f, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  /* Around this shim's own wrappers: the report must not count or fail. */
  long w = syscall(SYS_write, fd, line, (size_t)len);
  (void)w;
  syscall(SYS_close, fd);
}
