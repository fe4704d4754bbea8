// UnixSocketListener: xeniad's local socket. It accepts connections itself so
// that it can read each peer's credentials (SO_PEERCRED) — gRPC has no API
// for that — and then hands the connection to the gRPC server.
//
// Thread-safe: Bind and Stop from the owner's thread; connections are
// accepted on the listener's own thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/logger.h"
#include "daemon/api/peer_credentials.h"
#include "grpcpp/server.h"

namespace xenia {

class UnixSocketListener {
 public:
  // Creates the socket at `path` (and its directory) with mode 0600, or 0660
  // and group `group` when `group` is not -1. Refuses, with
  // FAILED_PRECONDITION, if another process is listening there; removes a
  // stale socket file. INVALID_ARGUMENT if the path is too long for a unix
  // socket or names something that is not a socket.
  static absl::StatusOr<std::unique_ptr<UnixSocketListener>> Bind(const std::string& path,
                                                                  gid_t group, Logger& logger);
  ~UnixSocketListener();

  // Starts accepting; every connection is recorded in `peers` and handed to
  // `server`. Both are borrowed and must outlive Stop().
  void Start(grpc::Server* server, PeerCredentialTable* peers);
  // Stops accepting and removes the socket file. Connections already handed
  // to gRPC are the server's to close.
  void Stop();

  const std::string& path() const { return path_; }

 private:
  UnixSocketListener(std::string path, int listen_fd, int wake_fd, Logger& logger);
  void AcceptLoop(grpc::Server* server, PeerCredentialTable* peers);

  const std::string path_;
  const int listen_fd_;
  // An eventfd that wakes the accept loop to stop.
  const int wake_fd_;
  Logger& logger_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace xenia
