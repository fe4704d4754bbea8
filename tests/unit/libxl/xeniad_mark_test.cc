// The mark a domain built by xeniad carries on Xen: in the create info's
// xsdata (so in the configuration libxl stores), read back by HasXeniadMark.
#include "daemon/hypervisor/libxl/xeniad_mark.h"

#include <string>

#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_config_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/libxl/test_specs.h"

namespace xenia::hv {
namespace {

TEST(XeniadMark, AMarkedConfigSaysSoInLibxlsJsonAndAnUnmarkedOneDoesNot) {
  ScopedDomainConfig plain;
  ASSERT_TRUE(SpecToDomainConfig(testing::PvSpec(), plain.get()).ok());
  EXPECT_FALSE(HasXeniadMark(*plain));
  EXPECT_THAT(DomainConfigToJson(plain.get()), ::testing::Not(::testing::HasSubstr("xsdata")));

  ScopedDomainConfig marked;
  ASSERT_TRUE(SpecToDomainConfig(testing::PvSpec(), marked.get()).ok());
  AddXeniadMark(marked.get());
  AddXeniadMark(marked.get());  // once is enough
  EXPECT_TRUE(HasXeniadMark(*marked));
  const std::string json = DomainConfigToJson(marked.get());
  EXPECT_THAT(json, ::testing::HasSubstr("\"xsdata\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"xenia-made-by\": \"xeniad\""));
  ASSERT_NE(marked.get()->c_info.xsdata, nullptr);
  EXPECT_EQ(marked.get()->c_info.xsdata[2], nullptr);  // one key, one value
}

}  // namespace
}  // namespace xenia::hv
