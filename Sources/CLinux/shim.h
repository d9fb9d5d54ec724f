#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Linux calls that glibc 2.36 does not wrap. */

/* openat2(2): `resolve` takes RESOLVE_* flags. */
static inline int harness_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                                  unsigned long long resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* O_PATH, which glibc's headers define only under _GNU_SOURCE. */
static const int harness_O_PATH = 010000000;
