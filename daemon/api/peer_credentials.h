// PeerCredentialTable: who is at the other end of each accepted unix-socket
// connection (SO_PEERCRED), keyed by the connection's file descriptor, which
// gRPC reports as the call's peer ("fd:N").
//
// Thread-safe: the socket acceptor records, handlers look up.
#pragma once

#include <sys/types.h>

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace xenia {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class PeerCredentialTable {
 public:
  // A new connection on `fd` (replaces whatever an earlier, closed
  // connection with the same number left behind).
  void Record(int fd, PeerCredentials creds);
  std::optional<PeerCredentials> Lookup(int fd) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, PeerCredentials> by_fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xenia
