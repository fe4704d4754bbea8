// LibxlHypervisor::Open: without Xen it fails cleanly with UNAVAILABLE (the
// case on build machines); on a Xen dom0, as root, it opens and reads the
// host and dom0 (a smoke test for the Xen test tier).
#include <cstdio>
#include <cstdlib>

#include "common/clock.h"
#include "common/logger.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

using ::testing::HasSubstr;

TEST(LibxlOpen, FailsCleanlyWithoutXenAndWorksWithIt) {
  SystemClock clock;
  Logger logger(LogLevel::kWarning, stderr);
  absl::StatusOr<std::unique_ptr<LibxlHypervisor>> hv = LibxlHypervisor::Open(clock, logger);
  if (!hv.ok()) {
    EXPECT_EQ(hv.status().code(), absl::StatusCode::kUnavailable) << hv.status();
    EXPECT_THAT(std::string(hv.status().message()), HasSubstr("libxl_ctx_alloc failed"));
    return;
  }
  absl::StatusOr<HostFacts> host = (*hv)->DescribeHost(OpContext{});
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(host->backend, "libxl");
  EXPECT_THAT(host->version, HasSubstr("Xen 4."));
  EXPECT_GT(host->total_memory_kib, 0);
  EXPECT_GT(host->cpus, 0);
  absl::StatusOr<std::vector<DomainFacts>> domains = (*hv)->ListDomains(OpContext{});
  ASSERT_TRUE(domains.ok()) << domains.status();
  ASSERT_FALSE(domains->empty());
  EXPECT_EQ(domains->front().domid, 0u);
  EXPECT_EQ(domains->front().name, "Domain-0");
  EXPECT_EQ((*hv)->PauseDomain(OpContext{}, DomainRef{0, ""}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*hv)->DescribeDomain(OpContext{}, DomainRef{0x7fef, ""}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace xenia::hv
