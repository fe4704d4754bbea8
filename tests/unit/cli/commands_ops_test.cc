// host, ops, sim, version, and an unreachable daemon.

#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/unit/cli/commands_fixture.h"

namespace xenia::cli::testing {
namespace {

using xenia::v1::Operation;

TEST_F(CommandsTest, Host) {
  fake_.With([](FakeState& s) {
    s.host.set_name("hosts/h1");
    s.host.set_backend("sim");
    s.host.set_total_memory_mib(8192);
  });
  Result r = Run({"host"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("backend:           sim\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total memory:      8 GiB\n"), std::string::npos) << r.out;
  fake_.With([](FakeState& s) { EXPECT_EQ(s.last_name, "hosts/-"); });
  r = Run({"host", "-o", "json"});
  EXPECT_EQ(r.out,
            "{\n \"name\": \"hosts/h1\",\n \"backend\": \"sim\",\n"
            " \"totalMemoryMib\": 8192\n}\n");
}

TEST_F(CommandsTest, OpsListFilter) {
  fake_.With([](FakeState& s) {
    Operation op = MakeOperation(Operation::RUNNING, 40);
    op.set_method("StartDomain");
    op.set_target("hosts/h1/domains/web1");
    s.operations = {op};
  });
  Result r = Run({"ops", "list", "--domain", "web1", "--state", "running"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "ID   METHOD       TARGET                 STATE    PROGRESS  CREATED");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_list_operations.filter(),
              "target = \"hosts/-/domains/web1\" AND state = RUNNING");
    EXPECT_EQ(s.last_list_operations.parent(), "hosts/-");
  });
  EXPECT_EQ(Run({"ops", "list", "--state", "later"}).rc, 2);
}

TEST_F(CommandsTest, OpsGetTakesABareIdOrAFullName) {
  SetSteps({MakeOperation(Operation::RUNNING, 40)});
  Result r = Run({"ops", "get", "op1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("state:       running\n"), std::string::npos) << r.out;
  fake_.With([](FakeState& s) { EXPECT_EQ(s.last_name, "hosts/-/operations/op1"); });
  Run({"ops", "get", "hosts/h1/operations/op1"});
  fake_.With([](FakeState& s) { EXPECT_EQ(s.last_name, "hosts/h1/operations/op1"); });
}

TEST_F(CommandsTest, OpsWait) {
  Operation running = MakeOperation(Operation::RUNNING, 40);
  running.set_method("RebootDomain");
  running.set_target("hosts/h1/domains/web1");
  Operation done = running;
  done.set_state(Operation::DONE);
  done.set_done(true);
  SetSteps({running, done});
  Result r = Run({"ops", "wait", "op1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: rebooted\n");
}

TEST_F(CommandsTest, OpsWaitTimesOut) {
  SetSteps({MakeOperation(Operation::RUNNING, 40)});
  Result r = Run({"ops", "wait", "op1", "--timeout", "500ms", "-o", "json"});
  EXPECT_EQ(r.rc, 8);
  Operation op;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &op).ok()) << r.out;
  EXPECT_NE(r.err.find("xenia: timed out after 500ms"), std::string::npos) << r.err;
}

TEST_F(CommandsTest, OpsWaitNotFound) {
  Result r = Run({"ops", "wait", "nope"});
  EXPECT_EQ(r.rc, 3);
  EXPECT_EQ(r.err, "xenia: no such operation\n");
}

TEST_F(CommandsTest, OpsCancel) {
  SetSteps({MakeOperation(Operation::RUNNING, 40, "copying")});
  Result r = Run({"ops", "cancel", "op1", "--request-id", "c1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "hosts/h1/operations/op1: cancel requested (running, 40%: copying)\n");
  fake_.With([](FakeState& s) {
    EXPECT_EQ(s.last_name, "hosts/-/operations/op1");
    EXPECT_EQ(s.last_request_id, "c1");
  });
}

TEST_F(CommandsTest, SimBehave) {
  Result r = Run({"sim", "behave", "web1", "--ignore-shutdown", "--crash-after", "1m30s",
                  "--shutdown-time", "2"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "web1: guest behavior set\n");
  fake_.With([](FakeState& s) {
    const xenia::v1::GuestBehavior& b = s.last_behavior.behavior();
    EXPECT_EQ(s.last_behavior.name(), "hosts/-/domains/web1");
    EXPECT_TRUE(b.ignore_shutdown());
    EXPECT_EQ(b.crash_after().seconds(), 90);
    EXPECT_EQ(b.shutdown_time().seconds(), 2);
    EXPECT_FALSE(b.has_poweroff_after());
  });
}

TEST_F(CommandsTest, SimBehaveLeavesIgnoreShutdownAloneUnlessGiven) {
  Result r = Run({"sim", "behave", "web1", "--crash-after", "5s", "--request-id", "b1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  fake_.With([](FakeState& s) {
    EXPECT_FALSE(s.last_behavior.behavior().has_ignore_shutdown());
    EXPECT_EQ(s.last_behavior.request_id(), "b1");
  });
  r = Run({"sim", "behave", "web1", "--ignore-shutdown=false"});
  EXPECT_EQ(r.rc, 0) << r.err;
  fake_.With([](FakeState& s) {
    ASSERT_TRUE(s.last_behavior.behavior().has_ignore_shutdown());
    EXPECT_FALSE(s.last_behavior.behavior().ignore_shutdown());
  });
}

TEST_F(CommandsTest, Version) {
  Result r = Run({"version"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out.rfind("xenia ", 0), 0u);
  EXPECT_TRUE(Calls().empty());
}

TEST(CommandsUnreachableTest, MissingSocketIsExitFive) {
  const char* argv[] = {"xenia", "--socket", "/nonexistent/xenia-test/xeniad.sock", "list"};
  std::ostringstream out, err;
  std::istringstream in;
  EXPECT_EQ(RunXenia(4, argv, out, err, in, false), 5);
  EXPECT_EQ(err.str().rfind("xenia: cannot reach xeniad at unix:/nonexistent/xenia-test/"
                            "xeniad.sock: ",
                            0),
            0u)
      << err.str();
  EXPECT_NE(err.str().find("(is xeniad running? use --socket or XENIA_SOCKET)\n"),
            std::string::npos);
}

}  // namespace
}  // namespace xenia::cli::testing
