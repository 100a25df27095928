/* An LD_PRELOAD shim that makes one call of a program's output path fail,
 * as a full disk or a failing device would: the Nth write, pwrite, fsync,
 * fdatasync, ftruncate or rename on a regular file (SSLKIT_FAULT_AT=N)
 * returns -1 with errno ENOSPC (EIO for fsync). Writes to terminals, pipes
 * and /dev/null (the error message on stderr, a pipeline's stdout) are
 * never failed or counted; nor are stdio's, which glibc writes with internal
 * calls, so fwrite and fflush on regular files are counted themselves. With SSLKIT_FAULT_COUNT=FILE the number of calls
 * counted is written there at exit, so a test knows the range of N.
 * tests/cli/test_fault_injection.sh drives it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static long counted = 0;
static long fail_at = -1;

static void setup(void) __attribute__((constructor));
static void setup(void) {
  const char* at = getenv("SSLKIT_FAULT_AT");
  if (at && *at) fail_at = atol(at);
}

static void report(void) __attribute__((destructor));
static void report(void) {
  const char* path = getenv("SSLKIT_FAULT_COUNT");
  if (!path || !*path) return;
  FILE* f = fopen(path, "w");
  if (!f) return;
  fprintf(f, "%ld\n", counted);
  fclose(f);
}

/* A regular file other than stderr (where the error message goes, whatever
 * stderr is redirected to). */
static int regular(int fd) {
  struct stat st;
  return fd != 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Counts this call; nonzero when it is the one to fail (named on stderr
 * with SSLKIT_FAULT_VERBOSE=1). */
static int hit_named(const char* what) {
  ++counted;
  if (counted != fail_at) return 0;
  const char* v = getenv("SSLKIT_FAULT_VERBOSE");
  if (v && *v == '1') fprintf(stderr, "fault_inject: failing call %ld: %s\n", counted, what);
  return 1;
}
#define hit() hit_named(__func__)

/* The C library's own function of the same name (a GNU C typeof). */
#define REAL(name) \
  static __typeof__(&name) real_##name; \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  if (regular(fd) && hit()) { errno = ENOSPC; return -1; }
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  if (regular(fd) && hit()) { errno = ENOSPC; return -1; }
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite64);
  if (regular(fd) && hit()) { errno = ENOSPC; return -1; }
  return real_pwrite64(fd, buf, n, off);
}

int fsync(int fd) {
  REAL(fsync);
  if (regular(fd) && hit()) { errno = EIO; return -1; }
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  if (regular(fd) && hit()) { errno = EIO; return -1; }
  return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  if (regular(fd) && hit()) { errno = ENOSPC; return -1; }
  return real_ftruncate(fd, len);
}

size_t fwrite(const void* buf, size_t size, size_t n, FILE* f) {
  REAL(fwrite);
  if (f && size && n && regular(fileno(f)) && hit()) { errno = ENOSPC; return 0; }
  return real_fwrite(buf, size, n, f);
}

int fflush(FILE* f) {
  REAL(fflush);
  if (f && regular(fileno(f)) && hit()) { errno = ENOSPC; return EOF; }
  return real_fflush(f);
}

int rename(const char* from, const char* to) {
  REAL(rename);
  if (hit()) { errno = ENOSPC; return -1; }
  return real_rename(from, to);
}
