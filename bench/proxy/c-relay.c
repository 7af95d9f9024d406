// A TCP byte relay in C, for bench/proxy/ws-cpu.sh only: one thread, epoll, one read and one write per wake-up.
// It shows what a relay costs on this machine with no user-space overhead to speak of. With a third argument (µs),
// it sleeps that long before each epoll_wait, so messages pile up and move in batches: throughput for latency.
//   cc -O2 -o c-relay c-relay.c && ./c-relay LISTEN_PORT BACKEND_PORT [NAP_US]
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int peer[65536];

static void tune(int fd) {
  int one = 1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void watch(int ep, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: c-relay LISTEN_PORT BACKEND_PORT [NAP_US]\n"), 2;
  int nap = argc > 3 ? atoi(argv[3]) : 0, one = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct sockaddr_in backend = addr;
  backend.sin_port = htons(atoi(argv[2]));
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 512)) return perror("listen"), 1;
  printf("listening %s\n", argv[1]);
  fflush(stdout);
  int ep = epoll_create1(0);
  watch(ep, listener);
  struct epoll_event events[256];
  static char buf[65536];
  for (;;) {
    if (nap) usleep(nap);
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int client = accept(listener, 0, 0), up = socket(AF_INET, SOCK_STREAM, 0);
        if (client < 0 || client >= 65536 || up >= 65536 || connect(up, (struct sockaddr *)&backend, sizeof backend)) {
          close(client);
          close(up);
          continue;
        }
        tune(client);
        tune(up);
        peer[client] = up;
        peer[up] = client;
        watch(ep, client);
        watch(ep, up);
        continue;
      }
      ssize_t got = read(fd, buf, sizeof buf);
      if (got < 0 && errno == EAGAIN) continue;
      if (got <= 0) {
        close(peer[fd]);
        close(fd);
        continue;
      }
      for (ssize_t off = 0; off < got;) { // (a full peer spins here: fine for a bench, not for a product)
        ssize_t put = write(peer[fd], buf + off, got - off);
        if (put > 0) off += put;
        else if (errno != EAGAIN) break;
      }
    }
  }
}
