// xenia migrate: what its command line selects, how its arguments and flags
// become a MigrateDomainRequest (and which ones are refused), how a running
// migration's progress and a finished one's figures are rendered, and whole
// command lines against FakeXeniad.

#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/migrate_flags.h"
#include "cli/output/render_migration.h"
#include "cli/output/render_operation.h"
#include "cli/wait.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/commands_fixture.h"

namespace xenia::cli::testing {
namespace {

using xenia::v1::MigrateDomainRequest;
using xenia::v1::MigrationProgress;
using xenia::v1::MigrationResult;
using xenia::v1::Operation;

constexpr int64_t kMiB = int64_t{1} << 20;

google::protobuf::Duration Millis(int64_t ms) {
  google::protobuf::Duration d;
  d.set_seconds(ms / 1000);
  d.set_nanos(static_cast<int32_t>((ms % 1000) * 1000000));
  return d;
}

google::protobuf::Duration Micros(int64_t us) {
  google::protobuf::Duration d;
  d.set_seconds(us / 1000000);
  d.set_nanos(static_cast<int32_t>((us % 1000000) * 1000));
  return d;
}

MigrationProgress PreCopy(int round, int64_t sent_mib, int64_t dirty_mib_per_second,
                          int64_t expected_downtime_ms) {
  MigrationProgress p;
  p.set_phase(MigrationProgress::PRE_COPY);
  p.set_destination("host2:7000");
  p.set_round(round);
  p.set_bytes_sent(sent_mib * kMiB);
  p.set_memory_bytes(1024 * kMiB);
  p.set_dirty_bytes_per_second(dirty_mib_per_second * kMiB);
  *p.mutable_expected_downtime() = Millis(expected_downtime_ms);
  return p;
}

MigrationResult Figures() {
  MigrationResult r;
  r.set_destination("host2:7000");
  r.set_destination_domain("hosts/host2/domains/web1");
  r.set_live(true);
  *r.mutable_total_time() = Millis(12340);
  r.set_bytes_sent(int64_t{1536} * kMiB);
  r.set_pages_sent(393216);
  r.set_rounds(4);
  *r.mutable_downtime() = Millis(42);
  r.set_stop_reason("downtime target met");
  r.set_digest("xxh3-128:00112233445566778899aabbccddeeff");
  return r;
}

constexpr const char* kResultLines =
    "destination: host2:7000 (hosts/host2/domains/web1)\n"
    "mode:        live\n"
    "total time:  12.3s\n"
    "sent:        1.5 GiB (393216 pages)\n"
    "rounds:      4\n"
    "downtime:    42ms\n"
    "stop reason: downtime target met\n"
    "digest:      xxh3-128:00112233445566778899aabbccddeeff\n";

// --- the command line --------------------------------------------------------

class MigrateCommandLineTest : public ::testing::Test {
 protected:
  std::optional<int> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "xenia");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return command_line_.Parse(static_cast<int>(argv.size()), argv.data(), out_, err_);
  }

  const MigrateOptions& migrate() const { return command_line_.options().migrate; }

  CommandLine command_line_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(MigrateCommandLineTest, EveryFlag) {
  EXPECT_EQ(
      Parse({"migrate", "web1", "host2:7000", "--no-live", "--bandwidth", "100M", "--max-rounds",
             "5", "--downtime", "50ms", "--request-id", "r-1", "--wait", "--wait-timeout", "10m"}),
      std::nullopt)
      << err_.str();
  EXPECT_EQ(command_line_.command(), "migrate");
  EXPECT_EQ(migrate().name, "web1");
  EXPECT_EQ(migrate().flags.destination, "host2:7000");
  EXPECT_FALSE(migrate().flags.live);
  EXPECT_EQ(migrate().flags.bandwidth, "100M");
  EXPECT_EQ(migrate().flags.max_rounds, 5);
  EXPECT_EQ(migrate().flags.downtime, "50ms");
  EXPECT_EQ(migrate().mutation.request_id, "r-1");
  EXPECT_TRUE(migrate().mutation.wait);
  EXPECT_EQ(migrate().mutation.wait_timeout, "10m");
}

TEST_F(MigrateCommandLineTest, LiveByDefaultAndNothingElseSet) {
  EXPECT_EQ(Parse({"migrate", "web1", "host2:7000"}), std::nullopt) << err_.str();
  EXPECT_TRUE(migrate().flags.live);
  EXPECT_EQ(migrate().flags.bandwidth, "");
  EXPECT_EQ(migrate().flags.max_rounds, std::nullopt);
  EXPECT_EQ(migrate().flags.downtime, "");
  EXPECT_FALSE(migrate().mutation.wait);
}

TEST_F(MigrateCommandLineTest, ExplicitLive) {
  EXPECT_EQ(Parse({"migrate", "web1", "host2:7000", "--live"}), std::nullopt) << err_.str();
  EXPECT_TRUE(migrate().flags.live);
}

TEST_F(MigrateCommandLineTest, DestinationIsRequired) {
  EXPECT_EQ(Parse({"migrate", "web1"}), 2);
  EXPECT_NE(err_.str().find("DESTINATION is required"), std::string::npos) << err_.str();
}

TEST_F(MigrateCommandLineTest, MaxRoundsMustBeANumber) {
  EXPECT_EQ(Parse({"migrate", "web1", "host2:7000", "--max-rounds", "many"}), 2);
  EXPECT_NE(err_.str().find("--max-rounds"), std::string::npos) << err_.str();
}

TEST_F(MigrateCommandLineTest, ListedInTheHelp) {
  EXPECT_EQ(Parse({"--help"}), 0);
  EXPECT_NE(out_.str().find("migrate"), std::string::npos) << out_.str();
}

TEST_F(MigrateCommandLineTest, HelpShowsTheForm) {
  EXPECT_EQ(Parse({"migrate", "--help"}), 0);
  const std::string help = out_.str();
  for (const char* word : {"NAME", "DESTINATION HOST:PORT", "--no-live", "--bandwidth",
                           "--max-rounds", "--downtime", "--wait", "--request-id"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word << "\n" << help;
  }
}

// --- arguments and flags to the request ------------------------------------

TEST(ParseBandwidthFlagTest, MiBPerSecond) {
  for (const auto& [text, mib] : std::vector<std::pair<std::string, int32_t>>{
           {"100", 100},
           {"100M", 100},
           {"100MiB", 100},
           {"100mib", 100},
           {"100MB", 100},
           {"1G", 1024},
           {"1GiB", 1024},
           {"2g", 2048},
           {"100MiB/s", 100},
           {"1G/s", 1024},
           {"2048K", 2},
           {" 64 ", 64},
       }) {
    absl::StatusOr<int32_t> got = ParseBandwidthFlag(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status();
    EXPECT_EQ(*got, mib) << text;
  }
}

TEST(ParseBandwidthFlagTest, RefusesWhatIsNotARate) {
  for (const std::string text : {"", "abc", "M", "1.5G", "-1", "100X", "100M/h", "/s", "0", "0M",
                                 "100K", "512B", "3000000G", "99999999999999999999"}) {
    absl::StatusOr<int32_t> got = ParseBandwidthFlag(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(got.status().message().rfind("--bandwidth: ", 0), 0u) << got.status();
  }
  EXPECT_EQ(ParseBandwidthFlag("1.5G").status().message(),
            "--bandwidth: invalid rate \"1.5G\": use MiB per second, e.g. 100, 100M, 100MiB, "
            "1G or 1GiB");
  EXPECT_EQ(ParseBandwidthFlag("0").status().message(),
            "--bandwidth: must be more than 0 (leave --bandwidth out for no limit)");
  EXPECT_EQ(ParseBandwidthFlag("100K").status().message(),
            "--bandwidth: \"100K\" is not a whole number of MiB/s");
  EXPECT_EQ(ParseBandwidthFlag("3000000G").status().message(),
            "--bandwidth: \"3000000G\" is too large");
}

TEST(CheckDestinationTest, HostAndPort) {
  for (const char* text : {"host2:7000", "10.0.0.2:1", "host2.example.com:65535", "[::1]:7000",
                           "[fe80::1%eth0]:7000"}) {
    EXPECT_TRUE(CheckDestination(text).ok()) << text << ": " << CheckDestination(text);
  }
}

TEST(CheckDestinationTest, RefusesWhatIsNotHostPort) {
  for (const char* text :
       {"", "host2", "host2:", ":7000", "host2:0", "host2:65536", "host2:7a", "host2:+70",
        "host2:007000", "::1:7000", "[::1]7000", "[::1", "[]:7000", "host 2:7000", "a/b:7000"}) {
    absl::Status s = CheckDestination(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(s.message().rfind("DESTINATION: ", 0), 0u) << s;
  }
  EXPECT_EQ(CheckDestination("host2").message(),
            "DESTINATION: \"host2\": no port; expected HOST:PORT, e.g. host2:7000");
  EXPECT_EQ(CheckDestination("host2:0").message(),
            "DESTINATION: \"host2:0\": the port must be a number from 1 to 65535");
  EXPECT_EQ(CheckDestination("::1:7000").message(),
            "DESTINATION: \"::1:7000\": write an IPv6 address in brackets, e.g. [::1]:7000");
}

TEST(ApplyMigrateFlagsTest, FillsTheRequest) {
  MigrateFlags flags;
  flags.destination = "host2:7000";
  flags.live = false;
  flags.bandwidth = "1GiB";
  flags.max_rounds = 3;
  flags.downtime = "50ms";
  MigrateDomainRequest request;
  ASSERT_TRUE(ApplyMigrateFlags(flags, &request).ok());
  EXPECT_EQ(request.destination(), "host2:7000");
  EXPECT_FALSE(request.live());
  EXPECT_EQ(request.max_bandwidth_mib_per_second(), 1024);
  EXPECT_EQ(request.max_rounds(), 3);
  EXPECT_EQ(request.max_downtime().seconds(), 0);
  EXPECT_EQ(request.max_downtime().nanos(), 50000000);
}

TEST(ApplyMigrateFlagsTest, WhatIsNotGivenIsLeftToXeniad) {
  MigrateFlags flags;
  flags.destination = "host2:7000";
  MigrateDomainRequest request;
  ASSERT_TRUE(ApplyMigrateFlags(flags, &request).ok());
  EXPECT_TRUE(request.live());
  EXPECT_EQ(request.max_bandwidth_mib_per_second(), 0);
  EXPECT_EQ(request.max_rounds(), 0);
  EXPECT_FALSE(request.has_max_downtime());
}

TEST(ApplyMigrateFlagsTest, NamesTheBadFlag) {
  const auto error = [](auto change) {
    MigrateFlags flags;
    flags.destination = "host2:7000";
    change(flags);
    MigrateDomainRequest request;
    absl::Status s = ApplyMigrateFlags(flags, &request);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    return std::string(s.message());
  };
  EXPECT_EQ(error([](MigrateFlags& f) { f.max_rounds = 0; }),
            "--max-rounds: must be at least 1, got 0");
  EXPECT_EQ(error([](MigrateFlags& f) { f.max_rounds = -2; }),
            "--max-rounds: must be at least 1, got -2");
  EXPECT_EQ(error([](MigrateFlags& f) { f.downtime = "0ms"; }), "--downtime: must be more than 0");
  EXPECT_EQ(error([](MigrateFlags& f) { f.downtime = "soon"; }).rfind("--downtime: ", 0), 0u);
  EXPECT_EQ(error([](MigrateFlags& f) { f.bandwidth = "fast"; }).rfind("--bandwidth: ", 0), 0u);
  EXPECT_EQ(error([](MigrateFlags& f) { f.destination = "host2"; }).rfind("DESTINATION: ", 0), 0u);
}

// --- rendering --------------------------------------------------------------

TEST(RenderMigrationTest, PreCopyProgress) {
  EXPECT_EQ(MigrationProgressText(PreCopy(2, 812, 10, 42)),
            "pre-copy round 3: 812 MiB sent of 1 GiB memory, dirtying 10 MiB/s, expected "
            "downtime 42ms");
  // A later round that measured no dirtying says so.
  EXPECT_EQ(MigrationProgressText(PreCopy(1, 1030, 0, 0)),
            "pre-copy round 2: 1 GiB sent of 1 GiB memory, dirtying 0 B/s, expected downtime 0ms");
}

TEST(RenderMigrationTest, FirstRoundLeavesOutWhatIsNotMeasuredYet) {
  MigrationProgress p = PreCopy(0, 100, 0, 0);
  p.clear_expected_downtime();
  EXPECT_EQ(MigrationProgressText(p), "pre-copy round 1: 100 MiB sent of 1 GiB memory");
  p.clear_memory_bytes();
  EXPECT_EQ(MigrationProgressText(p), "pre-copy round 1: 100 MiB sent");
}

TEST(RenderMigrationTest, OtherPhases) {
  MigrationProgress p = PreCopy(4, 1100, 10, 42);
  p.set_phase(MigrationProgress::PREPARING);
  EXPECT_EQ(MigrationProgressText(p), "preparing the migration to host2:7000");
  p.set_phase(MigrationProgress::STOP_AND_COPY);
  EXPECT_EQ(MigrationProgressText(p),
            "stop-and-copy round 5 (guest paused): 1.1 GiB sent of 1 GiB memory");
  p.set_phase(MigrationProgress::HANDING_OVER);
  EXPECT_EQ(MigrationProgressText(p), "handing over to host2:7000: 1.1 GiB sent");
  p.set_phase(MigrationProgress::PHASE_UNSPECIFIED);
  EXPECT_EQ(MigrationProgressText(p), "migrating to host2:7000: 1.1 GiB sent of 1 GiB memory");
  p.clear_destination();
  p.set_phase(MigrationProgress::PREPARING);
  EXPECT_EQ(MigrationProgressText(p), "preparing the migration");
}

TEST(RenderMigrationTest, ShortDurations) {
  EXPECT_EQ(FormatShortDuration(Millis(0)), "0ms");
  EXPECT_EQ(FormatShortDuration(Micros(-5)), "0ms");
  EXPECT_EQ(FormatShortDuration(Micros(400)), "0.4ms");
  EXPECT_EQ(FormatShortDuration(Micros(4000)), "4ms");
  EXPECT_EQ(FormatShortDuration(Millis(42)), "42ms");
  EXPECT_EQ(FormatShortDuration(Micros(999700)), "1s");
  EXPECT_EQ(FormatShortDuration(Millis(2500)), "2.5s");
  EXPECT_EQ(FormatShortDuration(Millis(12340)), "12.3s");
  EXPECT_EQ(FormatShortDuration(Millis(59970)), "1m");
  EXPECT_EQ(FormatShortDuration(Millis(65400)), "1m5s");
}

TEST(RenderMigrationTest, Result) { EXPECT_EQ(RenderMigrationResult(Figures()), kResultLines); }

TEST(RenderMigrationTest, NonLiveResultWithoutFigures) {
  MigrationResult r;
  r.set_destination("host2:7000");
  r.set_stop_reason("not live");
  EXPECT_EQ(RenderMigrationResult(r),
            "destination: host2:7000\n"
            "mode:        non-live\n"
            "total time:  -\n"
            "sent:        0 B\n"
            "rounds:      0\n"
            "downtime:    -\n"
            "stop reason: not live\n"
            "digest:      -\n");
}

TEST(RenderMigrationTest, ProgressTextWhileRunningOnly) {
  Operation op = MakeOperation(Operation::RUNNING, 40, "copying memory");
  *op.mutable_migration_progress() = PreCopy(2, 812, 10, 42);
  EXPECT_EQ(ProgressText(op),
            "pre-copy round 3: 812 MiB sent of 1 GiB memory, dirtying 10 MiB/s, expected "
            "downtime 42ms");
  op.set_state(Operation::DONE);
  op.set_done(true);
  EXPECT_EQ(ProgressText(op), "copying memory");
}

TEST(RenderMigrationTest, OperationInfo) {
  Operation op = MakeOperation(Operation::RUNNING, 40);
  op.set_method("MigrateDomain");
  *op.mutable_migration_progress() = PreCopy(2, 812, 10, 42);
  const std::string running = RenderOperationInfo(op);
  EXPECT_NE(running.find("\nmigration:   pre-copy round 3: 812 MiB sent"), std::string::npos)
      << running;
  op.set_state(Operation::DONE);
  *op.mutable_migration() = Figures();
  const std::string done = RenderOperationInfo(op);
  EXPECT_EQ(done.find("migration:"), std::string::npos) << done;
  EXPECT_NE(done.find("\nstop reason: downtime target met\n"), std::string::npos) << done;
  EXPECT_NE(done.find("\nmode:        live\n"), std::string::npos) << done;
}

// --- whole commands -----------------------------------------------------------

TEST_F(CommandsTest, MigrateSendsTheRequest) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r = Run({"migrate", "web1", "host2:7000", "--bandwidth", "1G", "--max-rounds", "5",
                  "--downtime", "50ms", "--request-id", "r-1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: MigrateDomain accepted (operation hosts/h1/operations/op1)\n");
  EXPECT_EQ(r.err, "");
  fake_.With([](FakeState& s) {
    const MigrateDomainRequest& m = s.last_migrate;
    EXPECT_EQ(m.name(), "hosts/-/domains/web1");
    EXPECT_EQ(m.destination(), "host2:7000");
    EXPECT_TRUE(m.live());
    EXPECT_EQ(m.max_bandwidth_mib_per_second(), 1024);
    EXPECT_EQ(m.max_rounds(), 5);
    EXPECT_EQ(m.max_downtime().nanos(), 50000000);
    EXPECT_EQ(m.request_id(), "r-1");
  });
  EXPECT_EQ(Calls(), (std::vector<std::string>{"MigrateDomain"}));
}

TEST_F(CommandsTest, MigrateNoLive) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r = Run({"migrate", "hosts/h1/domains/db", "[fd00::2]:7000", "--no-live"});
  EXPECT_EQ(r.rc, 0) << r.err;
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_migrate.name(), "hosts/h1/domains/db");
    EXPECT_EQ(s.last_migrate.destination(), "[fd00::2]:7000");
    EXPECT_FALSE(s.last_migrate.live());
    EXPECT_FALSE(s.last_migrate.has_max_downtime());
  });
}

TEST_F(CommandsTest, MigrateBadValuesAreUsageErrorsAndCallNothing) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"migrate", "web1", "host2"},
           {"migrate", "web1", "host2:99999"},
           {"migrate", "web1", "host2:7000", "--bandwidth", "fast"},
           {"migrate", "web1", "host2:7000", "--bandwidth", "0"},
           {"migrate", "web1", "host2:7000", "--max-rounds", "0"},
           {"migrate", "web1", "host2:7000", "--downtime", "soon"},
           {"migrate", "web1", "host2:7000", "--wait", "--wait-timeout", "never"},
       }) {
    Result r = Run(args);
    EXPECT_EQ(r.rc, 2) << args.back();
    EXPECT_EQ(r.out, "") << args.back();
    EXPECT_EQ(r.err.rfind("xenia: ", 0), 0u) << r.err;
  }
  EXPECT_EQ(Calls(), std::vector<std::string>{});
  Result r = Run({"migrate", "web1", "host2:7000", "--bandwidth", "1.5G"});
  EXPECT_EQ(r.err,
            "xenia: --bandwidth: invalid rate \"1.5G\": use MiB per second, e.g. 100, 100M, "
            "100MiB, 1G or 1GiB\n");
}

Operation MigratingStep(int round, int percent, int64_t sent_mib) {
  Operation op = MakeOperation(Operation::RUNNING, percent, "copying memory");
  *op.mutable_migration_progress() = PreCopy(round, sent_mib, 10, 42);
  return op;
}

Operation MigratedStep() {
  Operation op = MakeOperation(Operation::DONE, 100);
  *op.mutable_migration() = Figures();
  return op;
}

TEST_F(CommandsTest, MigrateWaitShowsRoundsThenTheFigures) {
  SetSteps({MigratingStep(0, 10, 100), MigratingStep(2, 60, 812), MigratedStep()});
  Result r = Run({"migrate", "web1", "host2:7000", "--wait"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, std::string("web1: migrated\n") + kResultLines);
  EXPECT_EQ(r.err,
            "[ 10%] pre-copy round 1: 100 MiB sent of 1 GiB memory, dirtying 10 MiB/s, expected "
            "downtime 42ms\n"
            "[ 60%] pre-copy round 3: 812 MiB sent of 1 GiB memory, dirtying 10 MiB/s, expected "
            "downtime 42ms\n"
            "[100%] done\n");
}

TEST_F(CommandsTest, MigrateWaitOnATerminalDrawsTheBar) {
  SetSteps({MigratingStep(2, 60, 812), MigratedStep()});
  Result r = Run({"migrate", "web1", "host2:7000", "--wait"}, "", /*tty=*/true);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("[############--------]  60% pre-copy round 3: 812 MiB sent"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, std::string("web1: migrated\n") + kResultLines);
}

TEST_F(CommandsTest, MigrateWaitJsonHasTheResult) {
  SetSteps({MigratingStep(2, 60, 812), MigratedStep()});
  Result r = Run({"migrate", "web1", "host2:7000", "--wait", "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"stopReason\": \"downtime target met\""), std::string::npos) << r.out;
  Operation op;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &op).ok()) << r.out;
  EXPECT_EQ(op.method(), "MigrateDomain");
  EXPECT_EQ(op.migration().destination(), "host2:7000");
  EXPECT_EQ(op.migration().rounds(), 4);
  EXPECT_EQ(op.migration().bytes_sent(), int64_t{1536} * kMiB);
  EXPECT_EQ(op.migration().downtime().nanos(), 42000000);
}

TEST_F(CommandsTest, MigrateYamlWhileRunningHasTheProgress) {
  SetSteps({MigratingStep(2, 60, 812)});
  Result r = Run({"migrate", "web1", "host2:7000", "-o", "yaml"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("migrationProgress:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("phase: PRE_COPY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expectedDowntime: 0.042s"), std::string::npos) << r.out;
}

TEST_F(CommandsTest, MigrateFailureExitsWithTheErrorsCode) {
  Operation failed = Failed(9, "destination refused the domain: not enough memory");
  SetSteps({MigratingStep(0, 10, 100), failed});
  Result r = Run({"migrate", "web1", "host2:7000", "--wait"});
  EXPECT_EQ(r.rc, 4) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("xenia: MigrateDomain on hosts/h1/domains/web1 failed: destination "
                       "refused the domain: not enough memory\n"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace xenia::cli::testing
