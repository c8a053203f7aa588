// F_GETFL shows the flags a description was made with: open(2) of a name
// adds O_LARGEFILE on a 64-bit kernel, the calls that make nameless files
// (pipe2, socketpair, eventfd, epoll, memfd) do not; F_SETFL changes only
// O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME and O_ASYNC.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int fd) {
    int fl = fcntl(fd, F_GETFL);
    printf("%-22s 0%o\n", what, fl);
}

int main(void) {
    int p[2], s[2];
    pipe(p);
    show("pipe read", p[0]);
    show("pipe write", p[1]);
    close(p[0]);
    close(p[1]);
    pipe2(p, O_NONBLOCK | O_CLOEXEC);
    show("pipe2 nonblock", p[0]);
    fcntl(p[0], F_SETFL, O_APPEND | O_RDWR | O_CREAT);
    show("pipe after F_SETFL", p[0]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    show("socketpair", s[0]);
    show("eventfd", eventfd(0, EFD_NONBLOCK));
    show("epoll", epoll_create1(0));
    show("memfd", memfd_create("x", 0));
    show("/dev/null rw", open("/dev/null", O_RDWR));
    show("/ dir", open("/", O_RDONLY | O_DIRECTORY));
    show("/ O_PATH", open("/", O_PATH));
    show("/proc/self/stat", open("/proc/self/stat", O_RDONLY));
    unlink("/tmp/fcntl_getfl.fifo");
    mkfifo("/tmp/fcntl_getfl.fifo", 0600);
    int f = open("/tmp/fcntl_getfl.fifo", O_RDWR | O_NONBLOCK);
    show("fifo rdwr nonblock", f);
    unlink("/tmp/fcntl_getfl.fifo");
    int t = open("/tmp/fcntl_getfl.tmp", O_CREAT | O_WRONLY | O_APPEND | O_TRUNC, 0600);
    show("file wronly append", t);
    fcntl(t, F_SETFL, 0);
    show("file after F_SETFL 0", t);
    show("file dup", dup(t));
    unlink("/tmp/fcntl_getfl.tmp");
    return 0;
}
