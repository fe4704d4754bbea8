// What libxl says about domains and the host, in the interface's terms.
#include "daemon/hypervisor/libxl/domain_facts.h"

#include <cstring>
#include <limits>
#include <optional>

#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

libxl_dominfo Info() {
  libxl_dominfo info;
  libxl_dominfo_init(&info);
  const unsigned char uuid[16] = {0x5f, 0x3c, 0x2a, 0x9e, 0x8d, 0x41, 0x4b, 0x6a,
                                  0x9c, 0x1e, 0x2f, 0x7a, 0x6b, 0x0d, 0x4e, 0x13};
  std::memcpy(info.uuid.uuid, uuid, sizeof(uuid));
  info.domid = 7;
  info.current_memkb = 1048576;
  info.max_memkb = 2097152 + 1024;
  info.cpu_time = 12'345'678'901;
  info.vcpu_max_id = 3;
  info.vcpu_online = 2;
  info.domain_type = LIBXL_DOMAIN_TYPE_PV;
  return info;
}

TEST(FactsFromDominfo, MapsTheNumbers) {
  libxl_dominfo info = Info();
  info.running = true;
  DomainFacts facts = FactsFromDominfo(info, "web1");
  EXPECT_EQ(facts.domid, 7u);
  EXPECT_EQ(facts.uuid, "5f3c2a9e-8d41-4b6a-9c1e-2f7a6b0d4e13");
  EXPECT_EQ(facts.name, "web1");
  EXPECT_EQ(facts.state, RunState::kRunning);
  EXPECT_EQ(facts.shutdown_reason, ShutdownReason::kNone);
  EXPECT_EQ(facts.requested_shutdown, ShutdownReason::kNone);
  EXPECT_EQ(facts.current_memory_kib, 1048576);
  EXPECT_EQ(facts.max_memory_kib, 2097152 + 1024);
  EXPECT_EQ(facts.online_vcpus, 2);
  EXPECT_EQ(facts.max_vcpus, 4);  // vcpu_max_id + 1
  EXPECT_EQ(facts.cpu_time_ns, 12'345'678'901);
  EXPECT_EQ(facts.type, xenia::v1::PV);
}

TEST(FactsFromDominfo, RunStateFromTheFlags) {
  struct Case {
    bool running, blocked, paused, shutdown, dying;
    RunState want;
  };
  const Case cases[] = {
      {true, false, false, false, false, RunState::kRunning},
      {false, true, false, false, false, RunState::kRunning},
      {false, false, false, false, false, RunState::kRunning},  // between runs
      {false, true, true, false, false, RunState::kPaused},
      {false, false, true, true, false, RunState::kShutdown},  // shut down beats paused
      {false, false, false, true, true, RunState::kDying},     // dying beats shut down
      {false, false, true, false, true, RunState::kDying},
  };
  for (const Case& c : cases) {
    libxl_dominfo info = Info();
    info.running = c.running;
    info.blocked = c.blocked;
    info.paused = c.paused;
    info.shutdown = c.shutdown;
    info.dying = c.dying;
    info.shutdown_reason = c.shutdown ? LIBXL_SHUTDOWN_REASON_CRASH : LIBXL_SHUTDOWN_REASON_UNKNOWN;
    DomainFacts facts = FactsFromDominfo(info, "x");
    EXPECT_EQ(facts.state, c.want) << c.running << c.blocked << c.paused << c.shutdown << c.dying;
    EXPECT_EQ(facts.shutdown_reason,
              c.want == RunState::kShutdown ? ShutdownReason::kCrash : ShutdownReason::kNone);
  }
}

TEST(FactsFromDominfo, ShutdownReasons) {
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_POWEROFF), ShutdownReason::kPoweroff);
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_REBOOT), ShutdownReason::kReboot);
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_SUSPEND), ShutdownReason::kSuspend);
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_CRASH), ShutdownReason::kCrash);
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_WATCHDOG), ShutdownReason::kWatchdog);
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_SOFT_RESET), ShutdownReason::kSoftReset);
  EXPECT_EQ(ShutdownReasonFromLibxl(LIBXL_SHUTDOWN_REASON_UNKNOWN), ShutdownReason::kNone);
  EXPECT_EQ(ShutdownReasonFromLibxl(200), ShutdownReason::kNone);

  libxl_dominfo info = Info();
  info.shutdown = true;
  info.shutdown_reason = LIBXL_SHUTDOWN_REASON_REBOOT;
  EXPECT_EQ(FactsFromDominfo(info, "x").shutdown_reason, ShutdownReason::kReboot);
}

TEST(FactsFromDominfo, TypesAndLargeValues) {
  libxl_dominfo info = Info();
  info.domain_type = LIBXL_DOMAIN_TYPE_HVM;  // also what Xen says of PVH guests
  EXPECT_EQ(FactsFromDominfo(info, "x").type, xenia::v1::HVM);
  info.domain_type = LIBXL_DOMAIN_TYPE_INVALID;
  EXPECT_EQ(FactsFromDominfo(info, "x").type, xenia::v1::DOMAIN_TYPE_UNSPECIFIED);
  EXPECT_EQ(DomainTypeFromLibxl(LIBXL_DOMAIN_TYPE_PVH), xenia::v1::PVH);
  // dom0 without a memory limit: max_pages is all ones.
  info.max_memkb = ~uint64_t{0};
  info.cpu_time = ~uint64_t{0};
  DomainFacts facts = FactsFromDominfo(info, "Domain-0");
  EXPECT_EQ(facts.max_memory_kib, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(facts.cpu_time_ns, std::numeric_limits<int64_t>::max());
}

TEST(DomainEventFromLibxl, ShutdownAndDeath) {
  libxl_event event;
  libxl_event_init(&event);
  event.domid = 9;
  event.type = LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN;
  event.u.domain_shutdown.shutdown_reason = LIBXL_SHUTDOWN_REASON_WATCHDOG;
  std::optional<DomainEvent> shutdown = DomainEventFromLibxl(event, "u-9");
  ASSERT_TRUE(shutdown.has_value());
  EXPECT_EQ(shutdown->kind, DomainEvent::Kind::kShutdown);
  EXPECT_EQ(shutdown->domid, 9u);
  EXPECT_EQ(shutdown->uuid, "u-9");
  EXPECT_EQ(shutdown->reason, ShutdownReason::kWatchdog);

  event.type = LIBXL_EVENT_TYPE_DOMAIN_DEATH;
  std::optional<DomainEvent> death = DomainEventFromLibxl(event, "u-9");
  ASSERT_TRUE(death.has_value());
  EXPECT_EQ(death->kind, DomainEvent::Kind::kDeath);
  EXPECT_EQ(death->reason, ShutdownReason::kNone);

  event.type = LIBXL_EVENT_TYPE_OPERATION_COMPLETE;
  EXPECT_FALSE(DomainEventFromLibxl(event, "u-9").has_value());
}

TEST(HostFactsFrom, PagesAndVersion) {
  libxl_physinfo physinfo;
  libxl_physinfo_init(&physinfo);
  physinfo.total_pages = 4 * 1024 * 1024;  // 16 GiB of 4 KiB pages
  physinfo.free_pages = 786432;            // 3 GiB
  physinfo.nr_cpus = 8;
  libxl_version_info version;
  libxl_version_info_init(&version);
  version.xen_version_major = 4;
  version.xen_version_minor = 17;
  char extra[] = ".5";
  version.xen_version_extra = extra;
  version.pagesize = 4096;
  HostFacts facts = HostFactsFrom(physinfo, version, 1024 * 1024);
  EXPECT_EQ(facts.backend, "libxl");
  EXPECT_EQ(facts.version, "Xen 4.17.5");
  EXPECT_EQ(facts.total_memory_kib, 16 * 1024 * 1024);
  EXPECT_EQ(facts.free_memory_kib, 3 * 1024 * 1024);
  EXPECT_EQ(facts.dom0_memory_kib, 1024 * 1024);
  EXPECT_EQ(facts.cpus, 8);
  version.xen_version_extra = nullptr;  // ours, not for libxl's dispose to free
  libxl_physinfo_dispose(&physinfo);
  libxl_version_info_dispose(&version);
}

TEST(Messages, WordedAsTheSimulatorWordsThem) {
  EXPECT_EQ(DomainLabelFor(5, "web1"), "domain 5 (\"web1\")");
  DomainFacts facts;
  facts.state = RunState::kShutdown;
  facts.shutdown_reason = ShutdownReason::kCrash;
  EXPECT_EQ(StateForMessage(facts), "shut down (crash)");
  facts.state = RunState::kPaused;
  EXPECT_EQ(StateForMessage(facts), "paused");
  facts.state = RunState::kDying;
  EXPECT_EQ(StateForMessage(facts), "dying");
}

}  // namespace
}  // namespace xenia::hv
