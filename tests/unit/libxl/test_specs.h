// Realistic DomainSpecs for the libxl translation tests: one per guest type
// (the golden files), and one that sets every field the translation maps,
// each in its canonical form (so that it survives a round trip unchanged).
//
// Thread-safe: pure functions.
#pragma once

#include "xenia/v1/domain.pb.h"

namespace xenia::hv::testing {

// A PV web server booted by pygrub from its own disk, on a bridge.
xenia::v1::DomainSpec PvSpec();
// A PVH CI runner with direct kernel boot and tsc_mode native (for Xen
// under QEMU TCG), a qcow2 disk served by QEMU and one interface.
xenia::v1::DomainSpec PvhSpec();
// An HVM guest with a QEMU disk, a cdrom, an e1000 interface, a passed-
// through PCI device and a serial console.
xenia::v1::DomainSpec HvmSpec();
// Every field SpecToDomainConfig maps, canonical (an HVM guest, as the
// HVM-only extra keys require).
xenia::v1::DomainSpec FullSpec();

}  // namespace xenia::hv::testing
