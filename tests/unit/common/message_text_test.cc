#include "common/spec_text/message_text.h"

#include "gtest/gtest.h"

namespace xenia::spec_text {
namespace {

using xenia::v1::DomainSpec;

std::string ErrorOf(absl::string_view text, absl::string_view source,
                    SpecFormat format = SpecFormat::kAuto) {
  absl::StatusOr<DomainSpec> spec = ParseDomainSpec(text, source, format);
  EXPECT_FALSE(spec.ok()) << text;
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

TEST(MessageTextTest, YamlWithBothNameStyles) {
  absl::StatusOr<DomainSpec> spec = ParseDomainSpec(R"(
name: web1
type: PVH
memory_mib: 512
maxMemoryMib: 1024
vcpus: 2
kernel: /boot/vmlinuz
bootloaderArgs: [a, "b"]
disks:
  - vdev: xvda
    target: /var/lib/xen/web1.img
    access: READ_WRITE
labels:
  tier: web
  replicas: 3
driver_domain: false
)",
                                                    "vm.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "web1");
  EXPECT_EQ(spec->type(), xenia::v1::PVH);
  EXPECT_EQ(spec->memory_mib(), 512);
  EXPECT_EQ(spec->max_memory_mib(), 1024);
  EXPECT_EQ(spec->vcpus(), 2);
  EXPECT_EQ(spec->kernel(), "/boot/vmlinuz");
  ASSERT_EQ(spec->bootloader_args_size(), 2);
  ASSERT_EQ(spec->disks_size(), 1);
  EXPECT_EQ(spec->disks(0).vdev(), "xvda");
  EXPECT_EQ(spec->disks(0).access(), xenia::v1::READ_WRITE);
  EXPECT_EQ(spec->labels().at("replicas"), "3");  // a string in a map<string,string>
}

TEST(MessageTextTest, YamlScalarsFollowTheFieldType) {
  absl::StatusOr<DomainSpec> spec = ParseDomainSpec("name: 123\nuuid: true\ntype: hvm\n", "a.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "123");
  EXPECT_EQ(spec->uuid(), "true");
  EXPECT_EQ(spec->type(), xenia::v1::HVM);
}

TEST(MessageTextTest, UnknownFieldNamesFileFieldAndType) {
  EXPECT_EQ(ErrorOf("name: web1\nmemroy: 512\n", "vm.yaml"),
            "vm.yaml: unknown field \"memroy\" in DomainSpec (line 2)");
  EXPECT_EQ(ErrorOf("name: web1\ndisks:\n  - vdev: xvda\n    vdevv: x\n", "vm.yaml"),
            "vm.yaml: unknown field \"vdevv\" in Disk at disks[0] (line 4)");
  EXPECT_EQ(ErrorOf(R"({"name": "web1", "memroy": 512})", "vm.json"),
            "vm.json: unknown field \"memroy\" in DomainSpec (line 1)");
}

TEST(MessageTextTest, WrongTypes) {
  EXPECT_EQ(ErrorOf("vcpus: two\n", "vm.yaml"),
            "vm.yaml: field \"vcpus\" in DomainSpec: expected an integer, got \"two\" (line 1)");
  EXPECT_EQ(
      ErrorOf("vcpus: 3000000000\n", "vm.yaml"),
      "vm.yaml: field \"vcpus\" in DomainSpec: 3000000000 is out of range for int32 (line 1)");
  EXPECT_EQ(ErrorOf("memory_mib: 512M\n", "vm.yaml"),
            "vm.yaml: field \"memory_mib\" in DomainSpec: expected an integer, got \"512M\" "
            "(line 1)");
  EXPECT_EQ(ErrorOf("disks:\n  vdev: xvda\n", "vm.yaml"),
            "vm.yaml: field \"disks\" in DomainSpec: expected a list, got a mapping (line 2)");
  EXPECT_EQ(ErrorOf("driverDomain: yes\n", "vm.yaml"),
            "vm.yaml: field \"driverDomain\" in DomainSpec: expected true or false, got \"yes\" "
            "(line 1)");
  EXPECT_EQ(ErrorOf("type: xen\n", "vm.yaml"),
            "vm.yaml: field \"type\" in DomainSpec: unknown value \"xen\" (one of PV, PVH, HVM) "
            "(line 1)");
  EXPECT_EQ(ErrorOf("name: [a]\n", "vm.yaml"),
            "vm.yaml: field \"name\" in DomainSpec: expected a single value, got a list (line 1)");
  EXPECT_EQ(ErrorOf(R"({"name": 5})", "vm.json"),
            "vm.json: field \"name\" in DomainSpec: expected a string, got 5 (line 1)");
  EXPECT_EQ(ErrorOf("name: a\nmemoryMib: 1\nmemory_mib: 2\n", "vm.yaml"),
            "vm.yaml: field \"memory_mib\" in DomainSpec is given twice (line 3)");
}

TEST(MessageTextTest, EmptyAndNonMappingDocuments) {
  EXPECT_EQ(ErrorOf("", "vm.yaml"), "vm.yaml: empty document; expected a DomainSpec mapping");
  EXPECT_EQ(ErrorOf("# only a comment\n", "vm.yaml"),
            "vm.yaml: empty document; expected a DomainSpec mapping");
  EXPECT_EQ(ErrorOf("  \n", "vm.json"), "vm.json: empty document; expected a DomainSpec object");
  EXPECT_EQ(ErrorOf("- a\n- b\n", "vm.yaml"),
            "vm.yaml: expected a mapping (a DomainSpec), got a list");
  EXPECT_EQ(ErrorOf("just words\n", "vm.yaml"),
            "vm.yaml: expected a mapping (a DomainSpec), got \"just words\"");
  EXPECT_EQ(ErrorOf("name: a\n---\nname: b\n", "vm.yaml"),
            "vm.yaml: holds 2 documents; expected one DomainSpec");
}

TEST(MessageTextTest, SyntaxErrors) {
  EXPECT_EQ(ErrorOf("name: [a\n", "vm.yaml").rfind("vm.yaml: invalid YAML: ", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"name": "a",)", "vm.json").rfind("vm.json: invalid JSON: ", 0), 0u);
}

// yaml-cpp's LoadAll never returned on a ',' where a document should start:
// it read an empty document there, again and again, until memory ran out
// (found by tests/fuzz/spec_text_fuzzer.cc). JSON text is read as YAML too.
TEST(MessageTextTest, AStrayCommaIsAnErrorNotEndlessDocuments) {
  EXPECT_EQ(ErrorOf(", aliases", "vm.yaml"), "vm.yaml: invalid YAML: unexpected ',' (line 1)");
  EXPECT_EQ(ErrorOf("---\n,\n", "vm.yaml"), "vm.yaml: invalid YAML: unexpected ',' (line 2)");
  EXPECT_EQ(ErrorOf(",", "vm.json"), "vm.json: invalid JSON: Unexpected token.");
  EXPECT_EQ(ErrorOf("name: a\n---\nname: b\n---\n", "vm.yaml"),
            "vm.yaml: holds 3 documents; expected one DomainSpec");
}

TEST(MessageTextTest, JsonParsedDirectly) {
  absl::StatusOr<DomainSpec> spec = ParseDomainSpec(
      R"({"name": "web1", "memory_mib": "512", "vcpus": 2, "type": "PV", "driverDomain": true})",
      "vm.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->memory_mib(), 512);
  EXPECT_EQ(spec->type(), xenia::v1::PV);
  EXPECT_TRUE(spec->driver_domain());
}

TEST(MessageTextTest, JsonLayoutsYamlWouldFrownOn) {
  absl::StatusOr<DomainSpec> compact =
      ParseDomainSpec(R"({"name":"web1","memoryMib":"512","cmdline":"a # b\/c"})", "vm.json");
  ASSERT_TRUE(compact.ok()) << compact.status();
  EXPECT_EQ(compact->cmdline(), "a # b/c");
  absl::StatusOr<DomainSpec> tabs =
      ParseDomainSpec("{\n\t\"name\": \"web1\",\n\t\"vcpus\": 2\n}\n", "vm.json");
  ASSERT_TRUE(tabs.ok()) << tabs.status();
  EXPECT_EQ(tabs->vcpus(), 2);
}

TEST(MessageTextTest, FormatDetection) {
  // No extension: '{' means JSON, where a number is not a string.
  EXPECT_FALSE(ParseDomainSpec(R"({"name": 5})", "<stdin>").ok());
  EXPECT_TRUE(ParseDomainSpec("name: 5\n", "<stdin>").ok());
  EXPECT_TRUE(ParseDomainSpec("{name: 5}", "vm.yml").ok());
  EXPECT_TRUE(ParseDomainSpec("{name: 5}", "<stdin>", SpecFormat::kYaml).ok());
}

}  // namespace
}  // namespace xenia::spec_text
