// DaemonConfig: everything xeniad can be told, from its config file (YAML;
// every key is shown in config/xeniad.example.yaml) and from flags, which
// override the file.
//
// Thread-safe: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"

namespace xenia {

struct DaemonConfig {
  std::string state_dir = "/var/lib/xenia";
  // Where save images live; empty means <state_dir>/images. Clients name
  // images by paths under it and nothing outside it.
  std::string image_dir;
  std::string socket = "/run/xenia/xeniad.sock";
  // A group whose members may use the socket (as admins); empty: root only.
  std::string socket_group;
  // "HOST:PORT" for gRPC over TCP; loopback only until TLS exists.
  std::string listen;
  // A file holding the secret that xeniad daemons of one fleet share for
  // migrating domains between them: a caller presenting it (as a bearer
  // token) has the peer role, and this daemon presents it when it migrates
  // a domain out. Empty: this daemon neither sends nor receives migrations.
  std::string peer_token_file;
  // auto | sim | libxl.
  std::string backend = "auto";
  // debug | info | warning | error.
  std::string log_level = "info";
  // This host's id in resource names; default: the hostname at first start.
  std::string host_id;
  int32_t workers = 8;
  int32_t max_queue_per_domain = 64;
  // How often live facts (CPU time, memory) are read from the hypervisor.
  absl::Duration status_refresh_interval = absl::Seconds(2);
  // Events kept for watchers resuming with after_sequence; older ones are
  // dropped (a watcher asking for them gets OUT_OF_RANGE and re-lists).
  int32_t event_retention = 100000;
  // Events a watcher may fall behind before it is cut off.
  int32_t event_watcher_buffer = 10000;
  // How long calls in flight may take to finish when xeniad stops.
  absl::Duration shutdown_grace = absl::Seconds(5);
  // The simulated hypervisor (backend sim); sim.dirty_rate is the memory a
  // running guest dirties per second. An empty state_file means
  // <state_dir>/sim-host.state.
  hv::SimHostConfig sim;
};

// Reads a YAML config file over `base`. INVALID_ARGUMENT naming the file and
// the key for unknown keys and bad values; NOT_FOUND if the file is missing.
absl::StatusOr<DaemonConfig> LoadConfigFile(const std::string& path, DaemonConfig base);

// Every key a config file may hold ("sim.memory" for nested ones).
std::vector<std::string> KnownConfigKeys();

// Checks values that no single key can check alone (e.g. the sim's dom0 must
// fit in its memory). INVALID_ARGUMENT naming the key.
absl::Status ValidateConfig(const DaemonConfig& config);

}  // namespace xenia
