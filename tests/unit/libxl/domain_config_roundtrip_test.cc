// DomainConfigToSpec(SpecToDomainConfig(spec)) == spec for every field the
// forward direction maps, in canonical form; and what the defaults become.
#include <string>

#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_config_json.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/unit/libxl/test_specs.h"

namespace xenia::hv {
namespace {

using google::protobuf::util::MessageDifferencer;
using xenia::v1::DomainSpec;

DomainSpec RoundTrip(const DomainSpec& spec) {
  ScopedDomainConfig cfg;
  absl::Status forward = SpecToDomainConfig(spec, cfg.get());
  EXPECT_TRUE(forward.ok()) << forward;
  absl::StatusOr<DomainSpec> back = DomainConfigToSpec(*cfg);
  EXPECT_TRUE(back.ok()) << back.status();
  return back.ok() ? *back : DomainSpec();
}

void ExpectSurvives(const DomainSpec& spec) {
  DomainSpec back = RoundTrip(spec);
  std::string diff;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(spec, back)) << diff;
}

TEST(LibxlRoundTrip, EveryMappedFieldSurvives) { ExpectSurvives(testing::FullSpec()); }

TEST(LibxlRoundTrip, TheGoldenSpecsSurvive) {
  // The golden specs leave some fields at their defaults; fill those in as
  // the reverse direction reports them.
  DomainSpec pv = testing::PvSpec();
  pv.mutable_disks(0)->set_format(xenia::v1::RAW);
  ExpectSurvives(pv);

  DomainSpec pvh = testing::PvhSpec();
  pvh.set_max_memory_mib(2048);
  pvh.set_max_vcpus(2);
  pvh.mutable_disks(0)->set_access(xenia::v1::READ_WRITE);
  pvh.set_on_poweroff(xenia::v1::DESTROY);
  pvh.set_on_crash(xenia::v1::DESTROY);
  pvh.set_on_watchdog(xenia::v1::DESTROY);
  (*pvh.mutable_extra())["pvshim"] = "0";
  ExpectSurvives(pvh);

  DomainSpec hvm = testing::HvmSpec();
  hvm.set_max_memory_mib(4096);
  hvm.set_max_vcpus(4);
  hvm.mutable_disks(0)->set_access(xenia::v1::READ_WRITE);
  hvm.mutable_disks(1)->set_access(xenia::v1::READ_ONLY);
  hvm.mutable_disks(1)->set_format(xenia::v1::RAW);
  hvm.set_on_poweroff(xenia::v1::DESTROY);
  hvm.set_on_reboot(xenia::v1::RESTART);
  hvm.set_on_watchdog(xenia::v1::DESTROY);
  ExpectSurvives(hvm);
}

TEST(LibxlRoundTrip, TheConfigSurvivesToo) {
  // config -> spec -> config gives libxl the very same input.
  ScopedDomainConfig first;
  ASSERT_TRUE(SpecToDomainConfig(testing::FullSpec(), first.get()).ok());
  absl::StatusOr<DomainSpec> spec = DomainConfigToSpec(*first);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ScopedDomainConfig second;
  ASSERT_TRUE(SpecToDomainConfig(*spec, second.get()).ok());
  EXPECT_EQ(DomainConfigToJson(first.get()), DomainConfigToJson(second.get()));
}

TEST(LibxlRoundTrip, DefaultsAreXls) {
  DomainSpec spec;
  spec.set_name("minimal");
  spec.set_uuid("AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE");
  spec.set_memory_mib(512);
  spec.add_disks()->set_target("/images/minimal.img");
  spec.mutable_disks(0)->set_vdev("xvda");
  spec.add_disks()->set_vdev("xvdb");
  spec.mutable_disks(1)->set_cdrom(true);
  spec.add_network_interfaces();
  spec.set_cpus("all");
  (*spec.mutable_labels())["team"] = "ci";

  ScopedDomainConfig cfg;
  ASSERT_TRUE(SpecToDomainConfig(spec, cfg.get()).ok());
  EXPECT_EQ((*cfg).c_info.type, LIBXL_DOMAIN_TYPE_PVH);
  EXPECT_EQ((*cfg).b_info.target_memkb, 512u * 1024);
  EXPECT_EQ((*cfg).b_info.max_memkb, 512u * 1024);
  EXPECT_EQ((*cfg).b_info.max_vcpus, 1);
  EXPECT_EQ((*cfg).b_info.num_vcpu_hard_affinity, 0);
  EXPECT_EQ((*cfg).on_poweroff, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
  EXPECT_EQ((*cfg).on_reboot, LIBXL_ACTION_ON_SHUTDOWN_RESTART);
  EXPECT_EQ((*cfg).on_crash, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
  EXPECT_EQ((*cfg).on_watchdog, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
  EXPECT_EQ((*cfg).disks[0].readwrite, 1);
  EXPECT_EQ((*cfg).disks[0].format, LIBXL_DISK_FORMAT_RAW);
  EXPECT_EQ((*cfg).disks[0].backend, LIBXL_DISK_BACKEND_UNKNOWN);
  EXPECT_EQ((*cfg).disks[1].readwrite, 0);
  EXPECT_EQ((*cfg).disks[1].removable, 1);
  EXPECT_EQ((*cfg).disks[1].format, LIBXL_DISK_FORMAT_EMPTY);
  EXPECT_EQ((*cfg).disks[1].pdev_path, nullptr);
  EXPECT_EQ((*cfg).nics[0].devid, 0);
  EXPECT_EQ((*cfg).nics[0].nictype, LIBXL_NIC_TYPE_UNKNOWN);

  absl::StatusOr<DomainSpec> back = DomainConfigToSpec(*cfg);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->uuid(), "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  EXPECT_EQ(back->type(), xenia::v1::PVH);
  EXPECT_EQ(back->vcpus(), 1);
  EXPECT_EQ(back->max_vcpus(), 1);
  EXPECT_EQ(back->max_memory_mib(), 512);
  EXPECT_EQ(back->cpus(), "");  // "all" is no restriction
  EXPECT_EQ(back->disks(1).format(), xenia::v1::EMPTY);
  EXPECT_EQ(back->network_interfaces(0).mac(), "");
  EXPECT_TRUE(back->labels().empty());  // Xenia's metadata, not libxl's
  EXPECT_TRUE(back->extra().empty());
}

TEST(LibxlRoundTrip, CanonicalFormsOfEquivalentInputs) {
  DomainSpec spec = testing::PvSpec();
  spec.set_uuid("5F3C2A9E-8D41-4B6A-9C1E-2F7A6B0D4E13");
  spec.set_cpus("0-7,^4-5");
  spec.mutable_network_interfaces(0)->set_mac("00:16:3E:5A:01:02");
  spec.mutable_network_interfaces(0)->set_rate("80Mb/s@50ms");
  spec.add_pci_devices()->set_bdf("03:00.1");
  spec.mutable_pci_devices(0)->set_vdevfn("5.0");
  spec.set_tsc_mode("default");
  DomainSpec back = RoundTrip(spec);
  EXPECT_EQ(back.uuid(), "5f3c2a9e-8d41-4b6a-9c1e-2f7a6b0d4e13");
  EXPECT_EQ(back.cpus(), "0-3,6-7");
  EXPECT_EQ(back.network_interfaces(0).mac(), "00:16:3e:5a:01:02");
  EXPECT_EQ(back.network_interfaces(0).rate(), "10MB/s");
  EXPECT_EQ(back.pci_devices(0).bdf(), "0000:03:00.1");
  EXPECT_EQ(back.pci_devices(0).vdevfn(), "@05");
  EXPECT_EQ(back.tsc_mode(), "");  // the default is not reported
}

TEST(LibxlRoundTrip, PvGuestsWithPciSeeTheHostMemoryMap) {
  DomainSpec spec = testing::PvSpec();
  spec.add_pci_devices()->set_bdf("0000:03:00.0");
  ScopedDomainConfig cfg;
  ASSERT_TRUE(SpecToDomainConfig(spec, cfg.get()).ok());
  EXPECT_TRUE(libxl_defbool_val((*cfg).b_info.u.pv.e820_host));
  // ...which is libxl's business, not the spec's: nothing extra comes back.
  EXPECT_TRUE(DomainConfigToSpec(*cfg)->extra().empty());
}

TEST(LibxlRoundTrip, ConfigWithoutNameIsRefused) {
  ScopedDomainConfig cfg;
  absl::StatusOr<DomainSpec> spec = DomainConfigToSpec(*cfg);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xenia::hv
