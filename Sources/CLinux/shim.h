#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Linux calls that glibc 2.36 does not wrap, and the one piece that must be C. */

/* openat2(2): `resolve` takes RESOLVE_* flags. */
static inline int harness_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                                  unsigned long long resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* O_PATH, which glibc's headers define only under _GNU_SOURCE. */
static const int harness_O_PATH = 010000000;

/* memfd_create(2) with MFD_CLOEXEC, which glibc declares only under _GNU_SOURCE. */
static inline int harness_memfd_create(const char *name) { return (int)syscall(SYS_memfd_create, name, 1U); }

/* syncfs(2), which glibc declares only under _GNU_SOURCE. */
static inline int harness_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }

/* FIFREEZE and FITHAW on any descriptor of a filesystem. */
static inline int harness_freeze_filesystem(int fd) { return ioctl(fd, FIFREEZE, 0); }
static inline int harness_thaw_filesystem(int fd) { return ioctl(fd, FITHAW, 0); }

/* Forks a watchdog that thaws the filesystem of `fd` once the caller closes (or writes to)
 * `*caller_socket`, or dies, or after `timeout_ms`: a process killed while a filesystem is
 * frozen would otherwise leave every later write to it hanging. Written in C because the child
 * of a fork in a threaded program may only call async-signal-safe functions, which Swift
 * cannot promise. The child ignores SIGINT and SIGTERM (a Ctrl-C goes to the whole process
 * group). Returns the child's pid, once it is ready, or -1 with errno set. */
static inline pid_t harness_start_thaw_watchdog(int fd, int timeout_ms, int *caller_socket) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(pair[0]);
        close(pair[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        struct sigaction ignore = { .sa_handler = SIG_IGN };
        sigaction(SIGINT, &ignore, NULL);
        sigaction(SIGTERM, &ignore, NULL);
        close(pair[0]);
        char ready = '!';
        if (write(pair[1], &ready, 1) != 1) _exit(1);
        struct pollfd caller = { .fd = pair[1], .events = POLLIN };
        poll(&caller, 1, timeout_ms);
        ioctl(fd, FITHAW, 0); /* EINVAL when not frozen (any more): nothing to do. */
        _exit(0);
    }
    close(pair[1]);
    char ready;
    ssize_t got;
    do { got = read(pair[0], &ready, 1); } while (got < 0 && errno == EINTR);
    if (got != 1) {
        close(pair[0]);
        errno = ECHILD;
        return -1;
    }
    *caller_socket = pair[0];
    return pid;
}
