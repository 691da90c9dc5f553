/* One sweep per directory: the advisory lock on DIR/.lock (see ceas_sweep.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ceas_sweep.h"

static void lock_path(const char *dir, char *buf, size_t cap) {
  snprintf(buf, cap, "%s/.lock", dir);
}

static struct flock whole_file(short type) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file, however long */
  return fl;
}

typedef struct {
  long pid; /* 0: unknown */
  char host[256];
  char since[64];
} holder;

/* Who holds the lock on fd: its text, else the pid the kernel reports. The text
 * is written just after the lock is taken, so a sweep that started at the same
 * moment may not have written it yet: wait for it briefly. */
static void read_holder(int fd, holder *h) {
  memset(h, 0, sizeof *h);
  for (int i = 0; i < 40; i++) {
    char text[512];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n > 0) {
      text[n] = '\0';
      if (sscanf(text, "pid %ld\nhost %255s\nsince %63s", &h->pid, h->host, h->since) == 3)
        return;
    }
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  memset(h, 0, sizeof *h);
  struct flock fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) h->pid = (long)fl.l_pid;
}

static void describe(const holder *h, char *buf, size_t cap) {
  if (h->host[0])
    snprintf(buf, cap, "pid %ld@%s, since %s", h->pid, h->host, h->since);
  else if (h->pid > 0)
    snprintf(buf, cap, "pid %ld", h->pid);
  else
    snprintf(buf, cap, "another process");
}

static int write_holder(int fd, const char *path) {
  char host[256] = "?", since[64] = "?", text[512];
  if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "?");
  host[sizeof host - 1] = '\0';
  for (char *c = host; *c; c++)
    if (*c == ' ' || *c == '\n') *c = '_';
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int len = snprintf(text, sizeof text, "pid %ld\nhost %s\nsince %s\n", (long)getpid(), host,
                     since);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len)
    return ceas_error_set(CEAS_EIO, "%s: cannot write the lock file: %s", path,
                          strerror(errno));
  return CEAS_OK;
}

static int same_file(int fd, const char *path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

int ceas_sweep_lock_take(const char *dir, ceas_sweep_lock *lock) {
  lock->fd = -1;
  lock_path(dir, lock->path, sizeof lock->path);
  /* The holder removes the file when it is done: a process that opened it just
   * before then locks a file that no longer has the name, and must try again on
   * the new one. */
  for (int attempt = 0; attempt < 100; attempt++) {
    int fd = open(lock->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      return ceas_error_set(errno == ENOSPC || errno == EIO ? CEAS_EIO : CEAS_EINPUT,
                            "%s: cannot open the sweep's lock file: %s", lock->path,
                            strerror(errno));
    struct flock fl = whole_file(F_WRLCK);
    if (fcntl(fd, F_SETLK, &fl) != 0) {
      int e = errno;
      if (e == EACCES || e == EAGAIN) {
        holder h;
        char who[512];
        read_holder(fd, &h);
        describe(&h, who, sizeof who);
        close(fd);
        return ceas_error_set(CEAS_EINPUT,
                              "--out %s: in use by another sweep (%s; lock %s); nothing "
                              "was changed: wait for it to end, or use another --out",
                              dir, who, lock->path);
      }
      close(fd);
      return ceas_error_set(CEAS_EIO, "%s: cannot lock the sweep directory: %s", lock->path,
                            strerror(e));
    }
    if (!same_file(fd, lock->path)) {
      close(fd);
      continue;
    }
    lock->fd = fd;
    int rc = write_holder(fd, lock->path);
    if (rc) ceas_sweep_lock_release(lock); /* held: ours to remove */
    return rc;
  }
  return ceas_error_set(CEAS_EIO, "%s: the lock file keeps changing under us", lock->path);
}

void ceas_sweep_lock_release(ceas_sweep_lock *lock) {
  if (lock->fd < 0) return;
  /* Removed while still locked: nobody can take a lock on it that we then delete. */
  if (same_file(lock->fd, lock->path)) unlink(lock->path);
  close(lock->fd);
  lock->fd = -1;
}

int ceas_sweep_lock_check(const char *dir, const char *advice) {
  char path[4096 + 8];
  lock_path(dir, path, sizeof path);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return CEAS_OK; /* no sweep has ever held it, or it ended */
  struct flock fl = whole_file(F_WRLCK);
  int held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  int rc = CEAS_OK;
  if (held) {
    holder h;
    read_holder(fd, &h);
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    /* The sweep's own analysis runs as its child, under its lock. */
    int parent = (long)fl.l_pid == (long)getppid() ||
                 (h.pid == (long)getppid() && !strcmp(h.host, host));
    if (!parent) {
      char who[512];
      describe(&h, who, sizeof who);
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s: in use by a running sweep (%s; lock %s): nothing was "
                          "written; %s",
                          dir, who, path, advice);
    }
  }
  close(fd);
  return rc;
}
