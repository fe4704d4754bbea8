#include "daemon/hypervisor/sim/sim_device_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "xenia/v1/simulator.pb.h"

namespace xenia::hv {
namespace {

constexpr char kTemporarySuffix[] = ".new";

}  // namespace

std::string SimDeviceFiles::PathOf(const std::string& uuid) const {
  return absl::StrCat(directory_, "/", uuid);
}

absl::StatusOr<std::vector<SimDevice>> SimDeviceFiles::Load(const std::string& uuid) const {
  const std::string path = PathOf(uuid);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::vector<SimDevice>();
  std::stringstream bytes;
  bytes << in.rdbuf();
  xenia::v1::SimulatedDeviceTable table;
  std::vector<std::string> problems;
  if (!table.ParseFromString(bytes.str())) {
    problems.push_back("it is not a device table");
  } else if (table.uuid() != uuid) {
    problems.push_back(absl::StrCat("it belongs to domain ", table.uuid()));
  }
  std::vector<SimDevice> devices;
  for (const xenia::v1::SimulatedDevice& proto : table.devices()) {
    if (!problems.empty()) break;
    absl::StatusOr<SimDevice> device = DeviceFromProto(proto);
    if (!device.ok()) {
      problems.push_back(std::string(device.status().message()));
    } else {
      devices.push_back(*std::move(device));
    }
  }
  if (!problems.empty()) {
    return absl::DataLossError(absl::StrCat("the simulator's device table ", path,
                                            " cannot be read: ", absl::StrJoin(problems, "; ")));
  }
  return devices;
}

absl::Status SimDeviceFiles::Store(const std::string& uuid,
                                   const std::vector<SimDevice>& devices) const {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create the simulator's device directory ",
                                            directory_, ": ", ec.message()));
  }
  xenia::v1::SimulatedDeviceTable table;
  table.set_uuid(uuid);
  for (const SimDevice& device : devices) *table.add_devices() = DeviceToProto(device);
  const std::string path = PathOf(uuid);
  const std::string temporary = absl::StrCat(path, kTemporarySuffix);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out || !table.SerializeToOstream(&out) || !out.flush()) {
      return absl::InternalError(
          absl::StrCat("cannot write the simulator's device table ", temporary));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    return absl::InternalError(
        absl::StrCat("cannot rename ", temporary, " to ", path, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

void SimDeviceFiles::Remove(const std::string& uuid) const {
  std::error_code ec;
  std::filesystem::remove(PathOf(uuid), ec);
}

int SimDeviceFiles::RemoveAllBut(const absl::flat_hash_set<std::string>& live) const {
  std::error_code ec;
  std::filesystem::directory_iterator it(directory_, ec);
  if (ec) return 0;
  int removed = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (live.contains(name)) continue;
    std::error_code remove_error;
    if (std::filesystem::remove(it->path(), remove_error)) ++removed;
  }
  return removed;
}

}  // namespace xenia::hv
