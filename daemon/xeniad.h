// Xeniad: the assembled daemon — state directory lock, store, hypervisor
// backend, registry, operation engine, gRPC services and listeners — in the
// order they must start and stop.
//
// Thread-safe: Start, then Stop, from one thread (main's).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/config/daemon_config.h"

namespace xenia {

class Xeniad {
 public:
  // Brings everything up; on error, whatever had started is stopped again.
  // `clock` and `logger` are borrowed and must outlive the daemon.
  static absl::StatusOr<std::unique_ptr<Xeniad>> Start(const DaemonConfig& config,
                                                       const Clock& clock, Logger& logger);
  ~Xeniad();

  // Stops taking calls, lets calls and steps in flight finish (up to the
  // configured grace), and closes everything. Idempotent.
  void Stop();

  const std::string& socket_path() const;
  int tcp_port() const;
  const std::string& backend() const;

 private:
  struct Parts;
  explicit Xeniad(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace xenia
