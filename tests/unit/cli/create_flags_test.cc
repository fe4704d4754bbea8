#include "cli/create_flags.h"

#include "gtest/gtest.h"

namespace xenia::cli {
namespace {

TEST(CreateFlagsTest, MapsEveryFlag) {
  CreateFlags f;
  f.name = "web1";
  f.memory = "512M";
  f.max_memory = "1G";
  f.vcpus = 2;
  f.max_vcpus = 4;
  f.type = "HVM";
  f.kernel = "/boot/vmlinuz";
  f.ramdisk = "/boot/initrd";
  f.cmdline = "console=hvc0";
  xenia::v1::DomainSpec spec;
  ASSERT_TRUE(ApplyCreateFlags(f, &spec).ok());
  EXPECT_EQ(spec.name(), "web1");
  EXPECT_EQ(spec.memory_mib(), 512);
  EXPECT_EQ(spec.max_memory_mib(), 1024);
  EXPECT_EQ(spec.vcpus(), 2);
  EXPECT_EQ(spec.max_vcpus(), 4);
  EXPECT_EQ(spec.type(), xenia::v1::HVM);
  EXPECT_EQ(spec.kernel(), "/boot/vmlinuz");
  EXPECT_EQ(spec.ramdisk(), "/boot/initrd");
  EXPECT_EQ(spec.cmdline(), "console=hvc0");
}

TEST(CreateFlagsTest, BareNumberIsMib) {
  CreateFlags f;
  f.memory = "2048";
  xenia::v1::DomainSpec spec;
  ASSERT_TRUE(ApplyCreateFlags(f, &spec).ok());
  EXPECT_EQ(spec.memory_mib(), 2048);
}

TEST(CreateFlagsTest, OverridesOnlyWhatIsGiven) {
  xenia::v1::DomainSpec spec;
  spec.set_name("from-file");
  spec.set_memory_mib(256);
  spec.set_vcpus(3);
  CreateFlags f;
  f.memory = "1G";
  ASSERT_TRUE(ApplyCreateFlags(f, &spec).ok());
  EXPECT_EQ(spec.name(), "from-file");
  EXPECT_EQ(spec.memory_mib(), 1024);
  EXPECT_EQ(spec.vcpus(), 3);
}

TEST(CreateFlagsTest, BadValuesNameTheFlag) {
  struct Case {
    CreateFlags flags;
    const char* expected;
  };
  CreateFlags bad_unit;
  bad_unit.memory = "12X";
  CreateFlags not_mib;
  not_mib.max_memory = "1536K";
  CreateFlags zero;
  zero.memory = "0";
  CreateFlags no_vcpus;
  no_vcpus.vcpus = 0;
  CreateFlags bad_type;
  bad_type.type = "xen";
  CreateFlags huge;
  huge.memory = "4096T";
  for (const Case& c :
       {Case{bad_unit, "--memory: invalid size \"12X\""},
        Case{not_mib, "--max-memory: invalid size \"1536K\""},
        Case{zero, "--memory: must be more than 0"}, Case{no_vcpus, "--vcpus: must be at least 1"},
        Case{bad_type, "--type: unknown guest type \"xen\""},
        Case{huge, "--memory: \"4096T\" is too large"}}) {
    xenia::v1::DomainSpec spec;
    absl::Status s = ApplyCreateFlags(c.flags, &spec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_NE(s.message().find(c.expected), absl::string_view::npos) << s;
  }
}

}  // namespace
}  // namespace xenia::cli
