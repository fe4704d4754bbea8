#include "daemon/api/peer_credentials.h"

namespace xenia {

void PeerCredentialTable::Record(int fd, PeerCredentials creds) {
  absl::MutexLock lock(&mu_);
  by_fd_[fd] = creds;
}

std::optional<PeerCredentials> PeerCredentialTable::Lookup(int fd) const {
  absl::MutexLock lock(&mu_);
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return std::nullopt;
  return it->second;
}

}  // namespace xenia
