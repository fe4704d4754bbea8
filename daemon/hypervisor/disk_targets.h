// Whether the disks of a spec have their targets in dom0, as libxl requires
// before it builds a domain: a disk's target must then be a regular file or
// a block device that dom0 can stat. Checked when a domain is defined (so
// nothing with a missing disk is stored) and by the simulator when it builds
// one (a disk can vanish after the definition; libxl then refuses too).
//
// Thread-safe: pure functions apart from stat(2).
#pragma once

#include <string>
#include <vector>

#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

// False where dom0 has nothing to check: an empty CD-ROM drive, a disk that
// a driver domain serves (the path is in that domain), or a target that a
// hotplug script interprets (iSCSI, DRBD, ...).
bool NeedsTargetInDom0(const xenia::v1::Disk& disk);

// One line per disk whose target is missing or of the wrong kind:
// "disks[1].target: /srv/xen/db.img does not exist in dom0 (No such file or
// directory)".
std::vector<std::string> DiskTargetProblems(const xenia::v1::DomainSpec& spec);

}  // namespace xenia::hv
