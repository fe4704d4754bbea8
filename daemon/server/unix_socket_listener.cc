#include "daemon/server/unix_socket_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "grpcpp/server_posix.h"

namespace xenia {
namespace {

std::string Errno(int err) { return std::strerror(err); }

}  // namespace

absl::StatusOr<std::unique_ptr<UnixSocketListener>> UnixSocketListener::Bind(
    const std::string& path, gid_t group, Logger& logger) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path \"", path, "\" is ", path.size(),
                                                   " bytes; a unix socket path must be 1 to ",
                                                   sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());

  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create the socket directory ", dir.string(), ": ", ec.message()));
    }
  }

  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) return absl::InternalError(absl::StrCat("socket: ", Errno(errno)));
    int rc = connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    int err = errno;
    close(probe);
    if (rc == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("another process is listening on ", path, " (is another xeniad running?)"));
    }
    if (err != ECONNREFUSED && err != ENOENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot tell whether ", path, " is in use: ", Errno(err)));
    }
    unlink(path.c_str());
  }

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", Errno(errno)));
  // Create the file with no access for anyone, then open it up as configured,
  // so there is no moment when it is wider than intended.
  mode_t old_umask = umask(0777);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  umask(old_umask);
  if (rc != 0) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot bind ", path, ": ", Errno(bind_errno)));
  }
  mode_t mode = 0600;
  if (group != static_cast<gid_t>(-1)) {
    if (chown(path.c_str(), static_cast<uid_t>(-1), group) != 0) {
      int err = errno;
      close(fd);
      unlink(path.c_str());
      return absl::FailedPreconditionError(
          absl::StrCat("cannot give ", path, " to group ", group, ": ", Errno(err)));
    }
    mode = 0660;
  }
  if (chmod(path.c_str(), mode) != 0 || listen(fd, 128) != 0) {
    int err = errno;
    close(fd);
    unlink(path.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", path, ": ", Errno(err)));
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    int err = errno;
    close(fd);
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat("eventfd: ", Errno(err)));
  }
  return std::unique_ptr<UnixSocketListener>(new UnixSocketListener(path, fd, wake, logger));
}

UnixSocketListener::UnixSocketListener(std::string path, int listen_fd, int wake_fd, Logger& logger)
    : path_(std::move(path)), listen_fd_(listen_fd), wake_fd_(wake_fd), logger_(logger) {}

UnixSocketListener::~UnixSocketListener() {
  Stop();
  close(listen_fd_);
  close(wake_fd_);
}

void UnixSocketListener::Start(grpc::Server* server, PeerCredentialTable* peers) {
  thread_ = std::thread([this, server, peers] {
    SetThreadName("xeniad-accept");
    AcceptLoop(server, peers);
  });
}

void UnixSocketListener::Stop() {
  if (stopped_.exchange(true)) return;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  unlink(path_.c_str());
}

void UnixSocketListener::AcceptLoop(grpc::Server* server, PeerCredentialTable* peers) {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stopped_.load()) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      logger_.Error("poll on the unix socket failed", {{"error", Errno(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    while (true) {
      int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (conn < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          logger_.Warn("accept on the unix socket failed", {{"error", Errno(errno)}});
        }
        break;
      }
      ucred cred{};
      socklen_t len = sizeof(cred);
      if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        logger_.Warn("cannot read a peer's credentials; closing the connection",
                     {{"error", Errno(errno)}});
        close(conn);
        continue;
      }
      peers->Record(conn, PeerCredentials{cred.pid, cred.uid, cred.gid});
      logger_.Debug("client connected", {{"fd", conn}, {"pid", cred.pid}, {"uid", cred.uid}});
      grpc::AddInsecureChannelFromFd(server, conn);
    }
  }
}

}  // namespace xenia
