// SimDeviceFiles: the simulated domains' devices outside the daemon's
// memory, one file per domain in a directory beside the host state file
// ("<state file>.devices/<uuid>", a SimulatedDeviceTable). A table is
// written to a temporary file and renamed over the old one, so a process
// killed at any instant leaves either table whole. As with the state file,
// power loss is out of scope (it ends every guest).
//
// Thread-compatible: the SimHost serializes calls under its lock.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/hypervisor/sim/guest_devices.h"

namespace xenia::hv {

class SimDeviceFiles {
 public:
  // The directory is created when first written.
  explicit SimDeviceFiles(std::string directory) : directory_(std::move(directory)) {}

  const std::string& directory() const { return directory_; }

  // A domain's devices; none if it has no file. DATA_LOSS naming the file
  // if it cannot be read back.
  absl::StatusOr<std::vector<SimDevice>> Load(const std::string& uuid) const;
  // Replaces a domain's devices. INTERNAL naming the file if it cannot be
  // written (the old table stays).
  absl::Status Store(const std::string& uuid, const std::vector<SimDevice>& devices) const;
  // Forgets a domain's devices.
  void Remove(const std::string& uuid) const;
  // Removes the tables of every domain not in `live` (left by a process
  // killed between freeing a domain and removing its table, or by a host
  // reboot); returns how many.
  int RemoveAllBut(const absl::flat_hash_set<std::string>& live) const;

 private:
  std::string PathOf(const std::string& uuid) const;

  const std::string directory_;
};

}  // namespace xenia::hv
