// SpecToDomainConfig against golden files: each realistic spec is rendered
// with libxl's own JSON generator and compared byte for byte with
// golden/<type>.json, which is what libxl receives.
//
// After an intended change: XENIA_UPDATE_GOLDEN=1 ctest -R LibxlGolden
// rewrites the files; review them with git diff.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_config_json.h"
#include "gtest/gtest.h"
#include "tests/unit/libxl/test_specs.h"

namespace xenia::hv {
namespace {

struct GoldenCase {
  const char* file;
  xenia::v1::DomainSpec (*spec)();
};

std::string GoldenPath(const char* file) {
  return std::string(XENIA_LIBXL_GOLDEN_DIR) + "/" + file;
}

bool UpdateRequested() {
  const char* update = std::getenv("XENIA_UPDATE_GOLDEN");
  return update != nullptr && std::string(update) == "1";
}

class LibxlGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(LibxlGoldenTest, MatchesTheGoldenFile) {
  ScopedDomainConfig cfg;
  absl::Status status = SpecToDomainConfig(GetParam().spec(), cfg.get());
  ASSERT_TRUE(status.ok()) << status;
  const std::string json = DomainConfigToJson(cfg.get());
  ASSERT_FALSE(json.empty());
  const std::string path = GoldenPath(GetParam().file);
  if (UpdateRequested()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    GTEST_SKIP() << "rewrote " << path << "; review it with git diff";
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "missing " << path << "; run with XENIA_UPDATE_GOLDEN=1 to create it";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(json, golden.str())
      << "the libxl config of " << GetParam().file
      << " changed; if that is intended, run with XENIA_UPDATE_GOLDEN=1 and review git diff";
}

TEST(LibxlGoldenJson, IsLibxlsBeautifiedForm) {
  ScopedDomainConfig cfg;
  ASSERT_TRUE(SpecToDomainConfig(testing::PvSpec(), cfg.get()).ok());
  const std::string json = DomainConfigToJson(cfg.get());
  EXPECT_EQ(json.substr(0, 6), "{\n    ");
  EXPECT_EQ(json.back(), '\n');
  // Rendering does not change the config.
  EXPECT_EQ(DomainConfigToJson(cfg.get()), json);
}

INSTANTIATE_TEST_SUITE_P(Guests, LibxlGoldenTest,
                         ::testing::Values(GoldenCase{"pv.json", &testing::PvSpec},
                                           GoldenCase{"pvh.json", &testing::PvhSpec},
                                           GoldenCase{"hvm.json", &testing::HvmSpec}),
                         [](const ::testing::TestParamInfo<GoldenCase>& param) {
                           std::string name = param.param.file;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace xenia::hv
