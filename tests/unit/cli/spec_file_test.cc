#include "cli/spec_file.h"

#include <sstream>

#include "gtest/gtest.h"

namespace xenia::cli {
namespace {

TEST(SpecFileTest, ReadsFilesAndStdin) {
  std::istringstream in("name: piped\nmemoryMib: 64\n");
  absl::StatusOr<SpecFile> piped = ReadSpecFile("-", in);
  ASSERT_TRUE(piped.ok()) << piped.status();
  EXPECT_EQ(piped->source, "<stdin>");
  EXPECT_EQ(piped->text, "name: piped\nmemoryMib: 64\n");

  std::istringstream empty;
  absl::StatusOr<SpecFile> missing = ReadSpecFile("/nonexistent/vm.yaml", empty);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            "/nonexistent/vm.yaml: cannot read: No such file or directory");
}

TEST(SpecFileTest, FormatByExtensionThenByText) {
  EXPECT_EQ(DetectSpecFormat({"vm.cfg", "name: x\n"}), xenia::v1::XL);
  EXPECT_EQ(DetectSpecFormat({"guests/db.XL", ""}), xenia::v1::XL);
  EXPECT_EQ(DetectSpecFormat({"vm.json", "name = \"x\"\n"}), xenia::v1::JSON);
  EXPECT_EQ(DetectSpecFormat({"vm.yml", "{}"}), xenia::v1::YAML);
  // No telling extension: the first line that is not blank or a comment.
  EXPECT_EQ(DetectSpecFormat({"<stdin>", "# a PV guest\n\nname = \"web\"\nmemory = 512\n"}),
            xenia::v1::XL);
  EXPECT_EQ(DetectSpecFormat({"/etc/xen/web", "kernel=\"/boot/vmlinuz\"\n"}), xenia::v1::XL);
  EXPECT_EQ(DetectSpecFormat({"<stdin>", "# web\nname: web\nmemoryMib: 512\n"}), xenia::v1::YAML);
  EXPECT_EQ(DetectSpecFormat({"<stdin>", "  {\"name\": \"web\"}"}), xenia::v1::JSON);
  EXPECT_EQ(DetectSpecFormat({"<stdin>", ""}), xenia::v1::YAML);
  // A YAML value holding '=' is still YAML.
  EXPECT_EQ(DetectSpecFormat({"<stdin>", "cmdline: root=/dev/xvda1\n"}), xenia::v1::YAML);
}

TEST(SpecFileTest, FormatNames) {
  EXPECT_EQ(ParseConfigFormatName("xl"), xenia::v1::XL);
  EXPECT_EQ(ParseConfigFormatName("YAML"), xenia::v1::YAML);
  EXPECT_EQ(ParseConfigFormatName("Json"), xenia::v1::JSON);
  EXPECT_EQ(ParseConfigFormatName("toml"), std::nullopt);
}

}  // namespace
}  // namespace xenia::cli
