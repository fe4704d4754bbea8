#include "daemon/domain/spec_validation.h"

#include "common/uuid.h"
#include "gtest/gtest.h"

namespace xenia {
namespace {

using xenia::v1::DomainSpec;

DomainSpec Minimal() {
  DomainSpec spec;
  spec.set_name("web1");
  spec.set_memory_mib(512);
  return spec;
}

std::string ErrorOf(DomainSpec spec) {
  absl::Status s = ValidateAndDefaultSpec(&spec);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

TEST(SpecValidation, FillsDefaults) {
  DomainSpec spec = Minimal();
  ASSERT_TRUE(ValidateAndDefaultSpec(&spec).ok());
  EXPECT_TRUE(IsValidUuid(spec.uuid()));
  EXPECT_EQ(spec.type(), xenia::v1::PVH);
  EXPECT_EQ(spec.vcpus(), 1);
  EXPECT_EQ(spec.max_vcpus(), 1);
  EXPECT_EQ(spec.max_memory_mib(), 512);
  EXPECT_EQ(spec.on_poweroff(), xenia::v1::DESTROY);
  EXPECT_EQ(spec.on_reboot(), xenia::v1::RESTART);
  EXPECT_EQ(spec.on_crash(), xenia::v1::DESTROY);
  EXPECT_EQ(spec.on_watchdog(), xenia::v1::DESTROY);
}

TEST(SpecValidation, KeepsWhatWasGiven) {
  DomainSpec spec = Minimal();
  spec.set_uuid("ABCDEF01-2345-6789-ABCD-EF0123456789");
  spec.set_type(xenia::v1::HVM);
  spec.set_vcpus(2);
  spec.set_max_vcpus(4);
  spec.set_max_memory_mib(1024);
  spec.set_on_crash(xenia::v1::PRESERVE);
  ASSERT_TRUE(ValidateAndDefaultSpec(&spec).ok());
  EXPECT_EQ(spec.uuid(), "abcdef01-2345-6789-abcd-ef0123456789");
  EXPECT_EQ(spec.type(), xenia::v1::HVM);
  EXPECT_EQ(spec.max_vcpus(), 4);
  EXPECT_EQ(spec.max_memory_mib(), 1024);
  EXPECT_EQ(spec.on_crash(), xenia::v1::PRESERVE);
}

TEST(SpecValidation, NamesTheOffendingField) {
  DomainSpec s = Minimal();
  s.set_name("");
  EXPECT_EQ(ErrorOf(s), "spec.name: required");
  s = Minimal();
  s.set_name("web 1");
  EXPECT_NE(ErrorOf(s).find("spec.name: \"web 1\" contains ' '"), std::string::npos);
  s = Minimal();
  s.set_name("1234");
  EXPECT_NE(ErrorOf(s).find("all digits"), std::string::npos);
  s = Minimal();
  s.set_name("Domain-0");
  EXPECT_NE(ErrorOf(s).find("dom0"), std::string::npos);
  s = Minimal();
  s.set_name(std::string(64, 'a'));
  EXPECT_NE(ErrorOf(s).find("at most 63"), std::string::npos);
  s = Minimal();
  s.set_memory_mib(-5);
  EXPECT_EQ(ErrorOf(s), "spec.memory_mib: must be greater than 0, got -5");
  s = Minimal();
  s.set_memory_mib(0);
  EXPECT_NE(ErrorOf(s).find("spec.memory_mib: required"), std::string::npos);
  s = Minimal();
  s.set_max_memory_mib(256);
  EXPECT_NE(ErrorOf(s).find("spec.max_memory_mib: 256 MiB is below memory_mib (512 MiB)"),
            std::string::npos);
  s = Minimal();
  s.set_vcpus(4);
  s.set_max_vcpus(2);
  EXPECT_NE(ErrorOf(s).find("spec.max_vcpus: 2 is below vcpus (4)"), std::string::npos);
  s = Minimal();
  s.set_uuid("not-a-uuid");
  EXPECT_NE(ErrorOf(s).find("spec.uuid"), std::string::npos);
  s = Minimal();
  s.set_type(static_cast<xenia::v1::DomainType>(42));
  EXPECT_NE(ErrorOf(s).find("spec.type: unknown guest type 42"), std::string::npos);
}

TEST(SpecValidation, DevicesAreChecked) {
  DomainSpec s = Minimal();
  s.add_disks()->set_vdev("xvda");
  s.mutable_disks(0)->set_target("/img/a");
  s.add_disks()->set_vdev("xvda");
  s.mutable_disks(1)->set_target("/img/b");
  EXPECT_NE(ErrorOf(s).find("spec.disks[1].vdev: \"xvda\" is used by another disk"),
            std::string::npos);
  s = Minimal();
  s.add_network_interfaces()->set_mac("00:16:3e:zz:00:01");
  EXPECT_NE(ErrorOf(s).find("spec.network_interfaces[0].mac"), std::string::npos);
  s = Minimal();
  s.add_pci_devices()->set_bdf("00:1f.9");
  EXPECT_NE(ErrorOf(s).find("spec.pci_devices[0].bdf"), std::string::npos);
  s = Minimal();
  s.add_pci_devices()->set_bdf("0000:03:00.1");
  s.add_network_interfaces()->set_mac("00:16:3E:01:02:03");
  EXPECT_TRUE(ValidateAndDefaultSpec(&s).ok());
}

TEST(SpecValidation, ReportsEveryProblemAtOnce) {
  DomainSpec s;
  s.set_memory_mib(-1);
  s.set_vcpus(-2);
  std::string error = ErrorOf(s);
  EXPECT_NE(error.find("spec.name"), std::string::npos);
  EXPECT_NE(error.find("spec.memory_mib"), std::string::npos);
  EXPECT_NE(error.find("spec.vcpus"), std::string::npos);
}

}  // namespace
}  // namespace xenia
