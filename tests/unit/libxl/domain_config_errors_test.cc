// SpecToDomainConfig refuses what libxl could not build, with
// INVALID_ARGUMENT naming the spec field.
#include <functional>
#include <string>

#include "daemon/hypervisor/libxl/domain_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/libxl/test_specs.h"

namespace xenia::hv {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using xenia::v1::DomainSpec;

struct ErrorCase {
  const char* name;
  std::function<void(DomainSpec&)> mutate;
  const char* field;   // the message starts with it
  const char* detail;  // and contains this
};

class LibxlSpecErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(LibxlSpecErrorTest, NamesTheField) {
  DomainSpec spec = testing::FullSpec();
  GetParam().mutate(spec);
  ScopedDomainConfig cfg;
  absl::Status status = SpecToDomainConfig(spec, cfg.get());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith(std::string(GetParam().field) + ": "));
  EXPECT_THAT(std::string(status.message()), HasSubstr(GetParam().detail));
}

const ErrorCase kCases[] = {
    {"NoName", [](DomainSpec& s) { s.clear_name(); }, "spec.name", "required"},
    {"NoUuid", [](DomainSpec& s) { s.clear_uuid(); }, "spec.uuid", "required"},
    {"BadUuid", [](DomainSpec& s) { s.set_uuid("1234"); }, "spec.uuid", "not a UUID"},
    {"UnknownType", [](DomainSpec& s) { s.set_type(static_cast<xenia::v1::DomainType>(9)); },
     "spec.type", "unknown guest type 9"},
    {"NoMemory", [](DomainSpec& s) { s.set_memory_mib(0); }, "spec.memory_mib", "greater than 0"},
    {"MaxMemoryBelow", [](DomainSpec& s) { s.set_max_memory_mib(1024); }, "spec.max_memory_mib",
     "below memory_mib"},
    {"NegativeVcpus", [](DomainSpec& s) { s.set_vcpus(-2); }, "spec.vcpus", "got -2"},
    {"MaxVcpusBelow", [](DomainSpec& s) { s.set_max_vcpus(2); }, "spec.max_vcpus", "got 2"},
    {"CpusMalformed", [](DomainSpec& s) { s.set_cpus("0-"); }, "spec.cpus", "not a CPU list"},
    {"CpusBackwards", [](DomainSpec& s) { s.set_cpus("5-2"); }, "spec.cpus", "N <= M"},
    {"CpusEmpty", [](DomainSpec& s) { s.set_cpus("0-3,^0-3"); }, "spec.cpus", "leaves no CPU"},
    {"CpusNodes", [](DomainSpec& s) { s.set_cpus("nodes:0"); }, "spec.cpus", "NUMA"},
    {"CpusTooHigh", [](DomainSpec& s) { s.set_cpus("4096"); }, "spec.cpus", "4095"},
    {"ArgsWithoutBootloader", [](DomainSpec& s) { s.clear_bootloader(); }, "spec.bootloader_args",
     "without spec.bootloader"},
    {"TscMode", [](DomainSpec& s) { s.set_tsc_mode("fast"); }, "spec.tsc_mode", "not a TSC mode"},
    {"Action", [](DomainSpec& s) { s.set_on_crash(static_cast<xenia::v1::LifecycleAction>(42)); },
     "spec.on_crash", "unknown lifecycle action 42"},
    {"DiskVdev", [](DomainSpec& s) { s.mutable_disks(1)->clear_vdev(); }, "spec.disks[1].vdev",
     "required"},
    {"DiskTarget", [](DomainSpec& s) { s.mutable_disks(0)->clear_target(); },
     "spec.disks[0].target", "unless the disk is a cdrom"},
    {"DiskEmptyFormat", [](DomainSpec& s) { s.mutable_disks(0)->set_format(xenia::v1::EMPTY); },
     "spec.disks[0].format", "without a medium"},
    {"DiskUnknownFormat",
     [](DomainSpec& s) { s.mutable_disks(0)->set_format(static_cast<xenia::v1::DiskFormat>(77)); },
     "spec.disks[0].format", "unknown disk format 77"},
    {"CdromWritable", [](DomainSpec& s) { s.mutable_disks(1)->set_access(xenia::v1::READ_WRITE); },
     "spec.disks[1].access", "read-only"},
    {"Mac", [](DomainSpec& s) { s.mutable_network_interfaces(0)->set_mac("00:16:3e:zz:00:01"); },
     "spec.network_interfaces[0].mac", "not a MAC address"},
    {"MacShort", [](DomainSpec& s) { s.mutable_network_interfaces(0)->set_mac("00:16:3e:00:01"); },
     "spec.network_interfaces[0].mac", "not a MAC address"},
    {"NicType", [](DomainSpec& s) { s.mutable_network_interfaces(0)->set_type("tap"); },
     "spec.network_interfaces[0].type", "vif, ioemu"},
    {"NicRate", [](DomainSpec& s) { s.mutable_network_interfaces(0)->set_rate("fast"); },
     "spec.network_interfaces[0].rate", "B/s or b/s"},
    {"NicRateInterval",
     [](DomainSpec& s) { s.mutable_network_interfaces(0)->set_rate("1MB/s@soon"); },
     "spec.network_interfaces[0].rate", "interval"},
    {"NicMtu", [](DomainSpec& s) { s.mutable_network_interfaces(0)->set_mtu(-1); },
     "spec.network_interfaces[0].mtu", "negative"},
    {"BdfNoFunction", [](DomainSpec& s) { s.mutable_pci_devices(0)->set_bdf("03:00"); },
     "spec.pci_devices[0].bdf", "not a PCI address"},
    {"BdfFunction", [](DomainSpec& s) { s.mutable_pci_devices(1)->set_bdf("0000:03:00.9"); },
     "spec.pci_devices[1].bdf", "not a PCI address"},
    {"BdfDevice", [](DomainSpec& s) { s.mutable_pci_devices(0)->set_bdf("0000:03:20.0"); },
     "spec.pci_devices[0].bdf", "not a PCI address"},
    {"Vdevfn", [](DomainSpec& s) { s.mutable_pci_devices(0)->set_vdevfn("@40"); },
     "spec.pci_devices[0].vdevfn", "not a guest slot"},
    {"RdmPolicy", [](DomainSpec& s) { s.mutable_pci_devices(0)->set_rdm_policy("loose"); },
     "spec.pci_devices[0].rdm_policy", "strict or relaxed"},
    {"VtpmUuid", [](DomainSpec& s) { s.mutable_vtpms(0)->set_uuid("not-a-uuid"); },
     "spec.vtpms[0].uuid", "not a UUID"},
    {"ExtraUnknown", [](DomainSpec& s) { (*s.mutable_extra())["videoram"] = "16"; },
     "spec.extra[\"videoram\"]", "does not apply this xl.cfg key"},
    {"ExtraWrongType",
     [](DomainSpec& s) {
       s.set_type(xenia::v1::PVH);
       s.mutable_extra()->clear();
       (*s.mutable_extra())["vnc"] = "1";
     },
     "spec.extra[\"vnc\"]", "HVM guests only"},
    {"ExtraNotABool", [](DomainSpec& s) { (*s.mutable_extra())["vnc"] = "yes"; },
     "spec.extra[\"vnc\"]", "expected 0 or 1"},
    {"ExtraNotAString", [](DomainSpec& s) { (*s.mutable_extra())["serial"] = "['pty', 'vc']"; },
     "spec.extra[\"serial\"]", "expected a string"},
    {"ExtraSyntax", [](DomainSpec& s) { (*s.mutable_extra())["boot"] = "\"dc"; },
     "spec.extra[\"boot\"]", "not a valid value"},
    {"ExtraTwoSettings", [](DomainSpec& s) { (*s.mutable_extra())["vnc"] = "0\nvnc = 1"; },
     "spec.extra[\"vnc\"]", "one value"},
};

INSTANTIATE_TEST_SUITE_P(Fields, LibxlSpecErrorTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace xenia::hv
