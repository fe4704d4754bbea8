// Domain commands (list, info, create, the lifecycle verbs, --wait) against
// FakeXeniad.

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/commands_fixture.h"

namespace xenia::cli::testing {
namespace {

using xenia::v1::Operation;

TEST_F(CommandsTest, ListFollowsPagesAndPrintsTheTable) {
  fake_.With([](FakeState& s) {
    s.domains = {MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 12.34),
                 MakeDomain("db", xenia::v1::SHUTOFF, 0, 2048, 4, 0),
                 MakeDomain("batch", xenia::v1::PAUSED, 7, 1024, 1, 0.05)};
  });
  Result r = Run({"list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   ID  STATE    MEM(MiB)  VCPUS  TIME(s)\n"
            "web1    3  running       512      2     12.3\n"
            "db      -  shutoff      2048      4      0.0\n"
            "batch   7  paused       1024      1      0.1\n");
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ListDomains", "ListDomains"}));
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_list_domains.page_size(), 1000);
    EXPECT_EQ(s.last_list_domains.parent(), "hosts/-");
    EXPECT_EQ(s.last_list_domains.filter(), "");
  });
}

TEST_F(CommandsTest, ListJsonMergesPages) {
  fake_.With([](FakeState& s) {
    s.domains = {MakeDomain("a", xenia::v1::RUNNING, 1, 64, 1, 0),
                 MakeDomain("b", xenia::v1::RUNNING, 2, 64, 1, 0),
                 MakeDomain("c", xenia::v1::RUNNING, 3, 64, 1, 0)};
  });
  Result r = Run({"list", "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  xenia::v1::ListDomainsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &parsed).ok()) << r.out;
  ASSERT_EQ(parsed.domains_size(), 3);
  EXPECT_EQ(parsed.domains(2).spec().name(), "c");
  EXPECT_EQ(r.out.find("nextPageToken"), std::string::npos);
  EXPECT_EQ(r.out.find("totalSize"), std::string::npos);
  EXPECT_EQ(r.out.rfind("{\n \"domains\": [", 0), 0u) << r.out;
}

TEST_F(CommandsTest, ListStateFilter) {
  Result r = Run({"list", "--state", "running"});
  EXPECT_EQ(r.rc, 0) << r.err;
  fake_.With(
      [](FakeState& s) { EXPECT_EQ(s.last_list_domains.filter(), "power_state = RUNNING"); });
  r = Run({"list", "--state", "shutting-down"});
  fake_.With(
      [](FakeState& s) { EXPECT_EQ(s.last_list_domains.filter(), "power_state = SHUTTING_DOWN"); });
}

TEST_F(CommandsTest, ListBadStateIsAUsageErrorBeforeAnyCall) {
  Result r = Run({"list", "--state", "sleeping"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("xenia: --state: unknown state \"sleeping\""), std::string::npos) << r.err;
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CommandsTest, InfoTableAndYaml) {
  fake_.With(
      [](FakeState& s) { s.domains = {MakeDomain("web1", xenia::v1::RUNNING, 3, 512, 2, 0)}; });
  Result r = Run({"info", "web1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("state:                running\n"), std::string::npos) << r.out;
  fake_.With([](FakeState& s) { EXPECT_EQ(s.last_name, "hosts/-/domains/web1"); });
  r = Run({"info", "web1", "-o", "yaml"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("name: hosts/-/domains/web1\nspec:\n  name: web1\n", 0), 0u) << r.out;
}

TEST_F(CommandsTest, DaemonErrorsPrintTheMessageAndMapTheCode) {
  Result r = Run({"info", "ghost"});
  EXPECT_EQ(r.rc, 3);
  EXPECT_EQ(r.err, "xenia: domain hosts/-/domains/ghost not found\n");

  fake_.With([](FakeState& s) {
    s.fail_next = grpc::Status(grpc::StatusCode::UNAVAILABLE, "hypervisor is restarting");
  });
  r = Run({"host"});
  EXPECT_EQ(r.rc, 5);
  // xeniad answered, so this is not a connection problem.
  EXPECT_EQ(r.err, "xenia: hypervisor is restarting\n");
}

TEST_F(CommandsTest, StartAcceptedWithoutWait) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r = Run({"start", "web1", "--request-id", "req-7"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: StartDomain accepted (operation hosts/h1/operations/op1)\n");
  EXPECT_EQ(r.err, "");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_name, "hosts/-/domains/web1");
    EXPECT_EQ(s.last_request_id, "req-7");
    EXPECT_FALSE(s.last_start.paused());
  });
}

TEST_F(CommandsTest, StartAlreadyDone) {
  SetSteps({MakeOperation(Operation::DONE, 100)});
  Result r = Run({"start", "web1", "--paused"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: started\n");
  fake_.With([](FakeState& s) { EXPECT_TRUE(s.last_start.paused()); });
}

TEST_F(CommandsTest, AlreadyFailedExitsWithTheErrorsCode) {
  SetSteps({Failed(9, "domain is not SHUTOFF")});
  Result r = Run({"start", "web1"});
  EXPECT_EQ(r.rc, 4);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xenia: StartDomain on hosts/h1/domains/web1 failed: domain is not SHUTOFF\n");
}

TEST_F(CommandsTest, JsonPrintsTheOperation) {
  SetSteps({MakeOperation(Operation::RUNNING, 10)});
  Result r = Run({"-o", "json", "pause", "web1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  Operation op;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &op).ok()) << r.out;
  EXPECT_EQ(op.method(), "PauseDomain");
  EXPECT_EQ(op.state(), Operation::RUNNING);
}

TEST_F(CommandsTest, ShutdownWaitShowsProgressLines) {
  SetSteps({MakeOperation(Operation::PENDING, 0), MakeOperation(Operation::RUNNING, 50, "asking"),
            MakeOperation(Operation::RUNNING, 60, "asking"),
            MakeOperation(Operation::RUNNING, 80, "waiting for the guest"),
            MakeOperation(Operation::DONE, 100, "shut down")});
  Result r = Run({"shutdown", "web1", "--timeout", "1m30s", "--force", "--wait"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: shut down\n");
  EXPECT_EQ(r.err,
            "[  0%] pending\n"
            "[ 50%] asking\n"
            "[ 80%] waiting for the guest\n"
            "[100%] shut down\n");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_shutdown.timeout().seconds(), 90);
    EXPECT_TRUE(s.last_shutdown.force());
    EXPECT_EQ(s.last_wait.name(), "hosts/h1/operations/op1");
    EXPECT_GT(s.last_wait.timeout().seconds(), 0);
    EXPECT_LE(s.last_wait.timeout().seconds(), 10);
  });
}

TEST_F(CommandsTest, WaitOnATerminalDrawsABar) {
  SetSteps({MakeOperation(Operation::RUNNING, 50, "shutting down"),
            MakeOperation(Operation::DONE, 100)});
  Result r = Run({"reboot", "web1", "--wait"}, "", /*tty=*/true);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: rebooted\n");
  EXPECT_NE(r.err.find("\r[##########----------]  50% shutting down\x1b[K"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.substr(r.err.size() - 4), "\r\x1b[K");
}

TEST_F(CommandsTest, WaitEndingInFailure) {
  SetSteps({MakeOperation(Operation::RUNNING, 10), Failed(8, "not enough free memory")});
  Result r = Run({"start", "web1", "--wait"});
  EXPECT_EQ(r.rc, 6);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(
      r.err.find("xenia: StartDomain on hosts/h1/domains/web1 failed: not enough free memory\n"),
      std::string::npos)
      << r.err;
}

TEST_F(CommandsTest, WaitJsonPrintsTheFinalOperation) {
  SetSteps({MakeOperation(Operation::RUNNING, 10), MakeOperation(Operation::DONE, 100)});
  Result r = Run({"destroy", "web1", "--wait", "-o", "json"});
  EXPECT_EQ(r.rc, 0) << r.err;
  Operation op;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &op).ok()) << r.out;
  EXPECT_EQ(op.state(), Operation::DONE);
  EXPECT_TRUE(op.done());
}

TEST_F(CommandsTest, WaitTimeoutRunsOut) {
  SetSteps({MakeOperation(Operation::RUNNING, 10, "stuck")});
  Result r = Run({"shutdown", "web1", "--wait", "--wait-timeout", "1s"});
  EXPECT_EQ(r.rc, 8);
  EXPECT_NE(r.err.find("xenia: timed out after 1s waiting for operation hosts/h1/operations/op1 "
                       "(running, 10%: stuck)"),
            std::string::npos)
      << r.err;
}

TEST_F(CommandsTest, BadDurationsAreRejectedBeforeAnyCall) {
  EXPECT_EQ(Run({"shutdown", "web1", "--timeout", "soon"}).rc, 2);
  EXPECT_EQ(Run({"start", "web1", "--wait", "--wait-timeout", "-1s"}).rc, 2);
  EXPECT_EQ(Run({"sim", "behave", "web1", "--crash-after", "5 parsecs"}).rc, 2);
  EXPECT_EQ(Run({"ops", "wait", "op1", "--timeout", "x"}).rc, 2);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CommandsTest, CreateFromStdinYaml) {
  SetSteps({MakeOperation(Operation::PENDING, 0)});
  Result r =
      Run({"create", "-", "--start", "--vcpus", "3"}, "name: web1\nmemoryMib: 512\ntype: hvm\n");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: CreateDomain accepted (operation hosts/h1/operations/op1)\n");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_create.parent(), "hosts/-");
    EXPECT_TRUE(s.last_create.start());
    EXPECT_EQ(s.last_create.spec().name(), "web1");
    EXPECT_EQ(s.last_create.spec().memory_mib(), 512);
    EXPECT_EQ(s.last_create.spec().vcpus(), 3);
    EXPECT_EQ(s.last_create.spec().type(), xenia::v1::HVM);
  });
}

TEST_F(CommandsTest, CreateFromFlags) {
  SetSteps({MakeOperation(Operation::DONE, 100)});
  Result r = Run({"create", "--name", "web2", "--memory", "1G", "--max-memory", "2G", "--vcpus",
                  "2", "--type", "pv", "--kernel", "/boot/k"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web2: created\n");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_create.spec().memory_mib(), 1024);
    EXPECT_EQ(s.last_create.spec().max_memory_mib(), 2048);
    EXPECT_EQ(s.last_create.spec().type(), xenia::v1::PV);
    EXPECT_EQ(s.last_create.spec().kernel(), "/boot/k");
    EXPECT_FALSE(s.last_create.start());
  });
}

TEST_F(CommandsTest, CreateErrorsBeforeAnyCall) {
  Result r = Run({"create", "--name", "web1", "--memory", "12X"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err,
            "xenia: --memory: invalid size \"12X\": unknown unit \"X\" (use K, M, G or T)\n");
  r = Run({"create", "--name", "web1"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "xenia: create: give a spec FILE, or at least --name and --memory\n");
  r = Run({"create", "-"}, "name: web1\nmemroy: 512\n");
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "xenia: <stdin>: unknown field \"memroy\" in DomainSpec (line 2)\n");
  r = Run({"create", "/nonexistent/vm.yaml"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(Calls().empty());
}

}  // namespace
}  // namespace xenia::cli::testing
