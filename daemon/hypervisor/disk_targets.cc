#include "daemon/hypervisor/disk_targets.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace xenia::hv {

bool NeedsTargetInDom0(const xenia::v1::Disk& disk) {
  if (disk.format() == xenia::v1::EMPTY) return false;
  if (disk.cdrom() && disk.target().empty()) return false;
  return disk.backend_domain().empty() && disk.script().empty();
}

std::vector<std::string> DiskTargetProblems(const xenia::v1::DomainSpec& spec) {
  std::vector<std::string> problems;
  for (int i = 0; i < spec.disks_size(); ++i) {
    const xenia::v1::Disk& disk = spec.disks(i);
    if (!NeedsTargetInDom0(disk) || disk.target().empty()) continue;
    const std::string field = absl::StrCat("disks[", i, "].target");
    struct stat st;
    if (::stat(disk.target().c_str(), &st) != 0) {
      const int err = errno;
      problems.push_back(
          absl::StrCat(field, ": ", disk.target(),
                       err == ENOENT ? " does not exist in dom0" : " cannot be read in dom0", " (",
                       std::strerror(err), ")"));
    } else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
      problems.push_back(
          absl::StrCat(field, ": ", disk.target(), " is neither a file nor a block device"));
    }
  }
  return problems;
}

}  // namespace xenia::hv
