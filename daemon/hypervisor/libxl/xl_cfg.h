// xl.cfg(5) files <-> DomainSpec, so that guests described for xl can be
// defined here and every domain can be written back as an xl.cfg.
//
// Import reads the file with libxlutil (xl's own reader: its tokenizer, and
// its parsers of disk and PCI spec strings) and maps each setting to the
// spec with our own code (xl_cfg_import.cc). Keys the spec does not model
// are kept in spec.extra as written, and named in the notes, for the
// backend to apply or refuse. Export (xl_cfg_export.cc) writes a spec so
// that importing it gives an equal spec.
//
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

struct XlImport {
  xenia::v1::DomainSpec spec;
  // What a person should know about the mapping: keys kept in spec.extra,
  // defaults taken from xl ("no type: PV, as xl").
  std::vector<std::string> notes;
};

// INVALID_ARGUMENT naming `source`, the key and the problem
// ("vm.cfg: memory: expected a number of MiB, got \"lots\""), every problem
// of the file in one message.
absl::StatusOr<XlImport> ImportXlConfig(absl::string_view text, absl::string_view source);

// One device spec string as xl block-attach, network-attach and pci-attach
// read it (xl-disk-configuration(5), xl-network-configuration(5),
// xl-pci-configuration(5)): INVALID_ARGUMENT naming `what` ("disk spec")
// and what is wrong (xl_device_spec.cc).
absl::StatusOr<xenia::v1::Disk> ImportXlDisk(absl::string_view text);
absl::StatusOr<xenia::v1::NetworkInterface> ImportXlVif(absl::string_view text);
absl::StatusOr<xenia::v1::PciDevice> ImportXlPci(absl::string_view text);

// The spec as an xl.cfg. INVALID_ARGUMENT if a string holds a control
// character that xl.cfg cannot express.
absl::StatusOr<std::string> ExportXlConfig(const xenia::v1::DomainSpec& spec);

}  // namespace xenia::hv
